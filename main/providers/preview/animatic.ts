/**
 * Builds the ffmpeg arguments of an animatic clip: a card with the shot number and the prompt
 * wrapped to fit, over the start image (slow zoom) when there is one, with the row's audio or
 * silence, at exactly the shot's duration, size and frame rate.
 */
import fs from 'node:fs';
import path from 'node:path';
import { resourcesDir } from '../../media/ffmpeg-path';
import { ffmpegRate, rateOf } from '../../media/frame-rate';

/** What an animatic shows. Sizes in pixels, duration in seconds. */
export interface AnimaticSpec {
  shotId: string;
  prompt: string;
  duration: number;
  width: number;
  height: number;
  fps: number;
  /** Local image file shown with a slow zoom. */
  image?: string;
  /** Local audio file; silence when absent. */
  audio?: string;
  /** Second line of the title, e.g. "5.0 s · 1280x720 · text-to-video". */
  subtitle?: string;
  /** The take's seed: picks the card's background, so takes of one shot are told apart at a glance. */
  seed?: number;
}

/** Dark card backgrounds (0xRRGGBB), one per seed modulo their count; the default without a seed is the first. */
export const CARD_COLOURS = ['1c2233', '2a1c33', '1c3328', '33261c', '1c2e33', '331c24', '28331c', '24243a'];

/** Escapes a value for an ffmpeg filter option (paths with colons, quotes, backslashes). */
export function filterValue(v: string): string {
  return v.replace(/\\/g, '/').replace(/([:'\[\],;])/g, '\\$1');
}

/**
 * Wraps text into lines of at most `perLine` characters (breaking long words), keeping at most
 * `maxLines` lines; an ellipsis marks text that did not fit.
 */
export function wrapText(text: string, perLine: number, maxLines: number): string[] {
  const words = text.replace(/\s+/g, ' ').trim().split(' ').filter(Boolean);
  const lines: string[] = [];
  let cur = '';
  for (let w of words) {
    while (w.length > perLine) {
      if (cur) {
        lines.push(cur);
        cur = '';
      }
      lines.push(w.slice(0, perLine));
      w = w.slice(perLine);
    }
    if (!cur) cur = w;
    else if (cur.length + 1 + w.length <= perLine) cur += ` ${w}`;
    else {
      lines.push(cur);
      cur = w;
    }
  }
  if (cur) lines.push(cur);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    kept[maxLines - 1] = `${kept[maxLines - 1].slice(0, Math.max(0, perLine - 1))}…`;
    return kept;
  }
  return lines;
}

/** The bundled font used for the cards (DejaVu Sans). */
export function fontFile(): string {
  return path.join(resourcesDir(), 'fonts', 'DejaVuSans.ttf');
}

/**
 * Returns ffmpeg arguments that write the animatic of `spec` to `dest` (MP4: H.264 yuv420p, AAC
 * 48 kHz stereo). Text is passed through files written into `workDir`, so no prompt text is ever
 * interpreted by ffmpeg's filter parser.
 */
export function animaticArgs(spec: AnimaticSpec, dest: string, workDir: string): string[] {
  const { width: W, height: H, fps, duration } = spec;
  // NTSC rates exactly (29.97 is 30000/1001).
  const rate = ffmpegRate(fps);
  const exact = rateOf(fps);
  const frames = Math.max(1, Math.round((duration * exact.num) / exact.den));
  const titleSize = Math.max(10, Math.round(H / 11));
  const bodySize = Math.max(8, Math.round(H / 24));
  const perLine = Math.max(8, Math.floor((W * 0.86) / (bodySize * 0.56)));
  const maxLines = Math.max(1, Math.floor((H * 0.5) / (bodySize * 1.35)));
  const body = wrapText(spec.prompt || '(no prompt)', perLine, maxLines).join('\n');
  fs.mkdirSync(workDir, { recursive: true });
  const titleFile = path.join(workDir, 'title.txt');
  const subFile = path.join(workDir, 'subtitle.txt');
  const bodyFile = path.join(workDir, 'prompt.txt');
  fs.writeFileSync(titleFile, `SHOT ${spec.shotId}`);
  fs.writeFileSync(subFile, spec.subtitle ?? `${duration} s`);
  fs.writeFileSync(bodyFile, body);
  const font = filterValue(fontFile());
  const text = (file: string, size: number, y: string, color: string) =>
    `drawtext=fontfile=${font}:textfile=${filterValue(file)}:expansion=none:fontsize=${size}:fontcolor=${color}:x=(w-text_w)/2:y=${y}:line_spacing=${Math.round(size * 0.3)}:box=1:boxcolor=black@0.45:boxborderw=${Math.round(size * 0.35)}`;
  const args: string[] = [];
  let videoChain: string;
  if (spec.image) {
    args.push('-loop', '1', '-framerate', rate, '-t', String(duration), '-i', spec.image);
    // Cover the frame, then zoom in by up to 8% over the shot.
    videoChain = `[0:v]scale=${W}:${H}:force_original_aspect_ratio=increase,crop=${W}:${H},setsar=1,format=yuv420p,zoompan=z='1+0.08*on/${frames}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s=${W}x${H}:fps=${rate}`;
  } else {
    const colour = CARD_COLOURS[spec.seed === undefined ? 0 : spec.seed % CARD_COLOURS.length];
    args.push('-f', 'lavfi', '-i', `color=c=0x${colour}:s=${W}x${H}:r=${rate}:d=${duration}`);
    videoChain = `[0:v]setsar=1,drawbox=x=iw*0.07:y=ih*0.36:w=iw*0.86:h=max(2\\,ih*0.006):color=0x5b8cff@0.9:t=fill`;
  }
  if (spec.audio) args.push('-i', spec.audio);
  else args.push('-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo');
  const vf = [videoChain, text(titleFile, titleSize, `h*0.12`, 'white'), text(subFile, Math.round(titleSize * 0.45), `h*0.12+${Math.round(titleSize * 1.45)}`, '0xc8d0e0'), text(bodyFile, bodySize, `h*0.42`, 'white')].join(',');
  args.push(
    '-filter_complex',
    `${vf},fps=${rate},format=yuv420p[v];[1:a]aresample=48000,aformat=channel_layouts=stereo,apad[a]`,
    '-map', '[v]', '-map', '[a]',
    '-frames:v', String(frames),
    '-t', String((frames * exact.den) / exact.num),
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '26', '-pix_fmt', 'yuv420p', '-r', rate,
    '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2',
    '-movflags', '+faststart',
    '-f', 'mp4',
    dest,
  );
  return args;
}
