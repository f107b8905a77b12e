/**
 * Retake and extend in the `preview` provider: free, offline rehearsals of an edit's timing. The
 * new take is the source take with an animatic card in place of the retaken section (or a card
 * added at the end or start), joined with ffmpeg's concat filter and re-encoded like every
 * animatic (H.264 yuv420p, AAC 48 kHz stereo). The retake's mode is not applied (a card replaces
 * both tracks); the request's notes say so.
 */
import path from 'node:path';
import fs from 'node:fs';
import type { EditResult, EditSource, TakeEdit } from '../provider';
import { checkEdit, describeEdit, editedLength, retakeSection } from '../edit-checks';
import { probe } from '../../media/ffprobe';
import { runFfmpeg } from '../../media/run-ffmpeg';
import { animaticArgs, type AnimaticSpec } from './animatic';

/** The stored request body of a preview edit. */
export interface PreviewEditSpec {
  edit: TakeEdit;
  /** The source take's clip. */
  source: string;
  sourceS: number;
  /** The card that fills the new seconds. */
  card: AnimaticSpec;
}

/** True when a preview request body is an edit. */
export function isPreviewEdit(body: Record<string, unknown>): boolean {
  return typeof body.source === 'string' && typeof body.edit === 'object' && body.edit !== null;
}

/** Builds a preview edit: the card's length is the section (retake) or the added seconds (extend). Free. */
export function previewEdit(edit: TakeEdit, source: EditSource): EditResult {
  const issues = checkEdit(edit, source);
  if (issues.length) return { ok: false, issues };
  const r = edit.kind === 'retake' ? retakeSection(edit, source) : undefined;
  const cardS = r ? r.endS - r.startS : (edit as Extract<TakeEdit, { kind: 'extend' }>).seconds;
  // A retake's section as clamped to the take.
  const label = describeEdit(edit.kind === 'retake' ? { ...edit, durationS: r!.endS - r!.startS } : edit);
  const card: AnimaticSpec = { shotId: path.basename(source.clipPath).replace(/\.mp4$/i, ''), prompt: (edit.prompt ?? source.prompt).trim(), duration: cardS, width: source.width, height: source.height, fps: source.fps, subtitle: label };
  const spec: PreviewEditSpec = { edit, source: source.clipPath, sourceS: source.durationS, card };
  const notes = [`preview ${label}: a card of ${Math.round(cardS * 100) / 100} s${edit.kind === 'retake' && edit.mode !== 'replace_audio_and_video' ? ` (the preview replaces video and audio; ${edit.mode.replace(/_/g, ' ')} is for a real provider)` : ''}`];
  return { ok: true, request: { route: 'ffmpeg animatic edit', body: spec as unknown as Record<string, unknown>, notes }, estimate: { unit: 'USD', min: 0, max: 0, usdPerUnit: 1, basis: 'free: rendered on this machine' } };
}

/** Renders a preview edit to `dest`. Throws FfmpegError when ffmpeg fails, or an Error when the source is unreadable. */
export async function renderPreviewEdit(spec: PreviewEditSpec, dest: string, workDir: string, signal: AbortSignal, onProgress: (fraction: number) => void): Promise<void> {
  const card = path.join(workDir, 'card.mp4');
  await runFfmpeg(animaticArgs(spec.card, card, workDir), { totalSeconds: spec.card.duration, signal });
  const src = await probe(spec.source, { signal });
  const { width: W, height: H, fps } = spec.card;
  const v = (input: number, trim: string) => `[${input}:v]${trim}setpts=PTS-STARTPTS,scale=${W}:${H},setsar=1,fps=${fps},format=yuv420p`;
  const a = (input: number, trim: string) => `[${input}:a]${trim}asetpts=PTS-STARTPTS,aresample=48000,aformat=channel_layouts=stereo`;
  type Piece = [number, string, string, number];
  let pieces: Piece[];
  const total = spec.sourceS;
  if (spec.edit.kind === 'retake') {
    const s = spec.edit.startS;
    const e = Math.min(total, s + spec.edit.durationS);
    pieces = [[0, `trim=0:${s},`, `atrim=0:${s},`, s], [1, '', '', e - s], [0, `trim=start=${e},`, `atrim=start=${e},`, total - e]];
  } else if (spec.edit.at === 'end') pieces = [[0, '', '', total], [1, '', '', spec.edit.seconds]];
  else pieces = [[1, '', '', spec.edit.seconds], [0, '', '', total]];
  pieces = pieces.filter((p) => p[3] > 1e-6);
  const graph = pieces.map(([i, vt, at, secs], k) => {
    // A source without audio gets silence of its piece's length.
    const audio = i === 0 && !src.audio ? `anullsrc=r=48000:cl=stereo,atrim=0:${secs},asetpts=PTS-STARTPTS` : a(i, at);
    return `${v(i, vt)}[v${k}];${audio}[a${k}]`;
  });
  const concat = `${pieces.map((_, k) => `[v${k}][a${k}]`).join('')}concat=n=${pieces.length}:v=1:a=1[v][a]`;
  const length = editedLength(spec.edit, { clipPath: spec.source, durationS: total, width: W, height: H, fps, prompt: '' });
  await runFfmpeg(['-y', '-i', spec.source, '-i', card, '-filter_complex', `${graph.join(';')};${concat}`, '-map', '[v]', '-map', '[a]', '-frames:v', String(Math.round(length * fps)), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-preset', 'veryfast', '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', dest], { totalSeconds: length, signal, onProgress });
  fs.rmSync(card, { force: true });
}
