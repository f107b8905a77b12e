/**
 * Reads a media file's streams and duration with ffprobe (JSON output).
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { ffprobePath } from './ffmpeg-path';

const run = promisify(execFile);

/** What the timeline needs to know about a clip. Sizes in pixels, durations in seconds. */
export interface MediaInfo {
  /** Container duration in seconds. */
  duration: number;
  video?: {
    codec: string; width: number; height: number; fps: number; pixFmt: string; frames?: number; duration?: number; profile?: string;
    /**
     * SHA-256 of the codec's setup data (for H.264 in MP4, the avcC box: SPS and PPS), as ffprobe's
     * `-show_data_hash sha256` prints it. Clips with the same hash decode with one another's setup
     * data, so stitching can copy their packets as they are.
     */
    extradataHash?: string;
  };
  audio?: { codec: string; sampleRate: number; channels: number; duration?: number; extradataHash?: string };
}

function parseRate(r: string | undefined): number {
  if (!r) return 0;
  const [a, b] = r.split('/').map(Number);
  return b ? a / b : a;
}

/**
 * Probes a media file (or an http(s) URL). Throws an Error naming the file when ffprobe cannot read
 * it (missing, truncated, not media), when it runs past `timeoutMs`, or when `signal` aborts (the
 * ffprobe process is killed then, not left running).
 */
export async function probe(file: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<MediaInfo> {
  let stdout: string;
  try {
    ({ stdout } = await run(ffprobePath(), ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-show_data_hash', 'sha256', file], { maxBuffer: 16 * 1024 * 1024, signal: opts.signal, timeout: opts.timeoutMs ?? 0, killSignal: 'SIGKILL' }));
  } catch (e) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? e;
    if ((e as { killed?: boolean }).killed && opts.timeoutMs) throw new Error(`ffprobe had no answer from ${file} within ${Math.round(opts.timeoutMs / 1000)} s`);
    const msg = ((e as { stderr?: string }).stderr || (e as Error).message).trim().split('\n').slice(-2).join(' ');
    throw new Error(`cannot read ${file} as media: ${msg}`);
  }
  const j = JSON.parse(stdout) as { format?: { duration?: string }; streams?: Record<string, string | number | undefined>[] };
  const v = j.streams?.find((s) => s.codec_type === 'video');
  const a = j.streams?.find((s) => s.codec_type === 'audio');
  return {
    duration: Number(j.format?.duration ?? 0),
    video: v
      ? {
          codec: String(v.codec_name),
          width: Number(v.width),
          height: Number(v.height),
          fps: parseRate(String(v.avg_frame_rate && v.avg_frame_rate !== '0/0' ? v.avg_frame_rate : v.r_frame_rate)),
          pixFmt: String(v.pix_fmt),
          frames: v.nb_frames !== undefined ? Number(v.nb_frames) : undefined,
          duration: v.duration !== undefined ? Number(v.duration) : undefined,
          profile: v.profile !== undefined ? String(v.profile) : undefined,
          extradataHash: v.extradata_hash !== undefined ? String(v.extradata_hash) : undefined,
        }
      : undefined,
    audio: a ? { codec: String(a.codec_name), sampleRate: Number(a.sample_rate), channels: Number(a.channels), duration: a.duration !== undefined ? Number(a.duration) : undefined, extradataHash: a.extradata_hash !== undefined ? String(a.extradata_hash) : undefined } : undefined,
  };
}

/**
 * A media file's duration in seconds, read synchronously (for checks that run while a storyboard
 * is validated, e.g. the length of an audio track a provider bills by). Undefined when ffprobe
 * cannot read the file or reports no duration.
 */
export function durationSync(file: string): number | undefined {
  try {
    const out = execFileSync(ffprobePath(), ['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', file], { encoding: 'utf8', timeout: 30_000 });
    const d = Number(out.trim());
    return Number.isFinite(d) && d > 0 ? d : undefined;
  } catch {
    return undefined;
  }
}
