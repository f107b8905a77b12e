/**
 * Stitches clips into one film with ffmpeg.
 *
 * When every clip shares codec, profile, size, frame rate, pixel format and audio layout, they are
 * joined with the concat demuxer and stream copy (no re-encoding, no quality loss, seconds for an
 * hour of film). Otherwise only the clips that differ are re-encoded to the film's format (scaled
 * and padded to the film size, frame rate converted, a silent track added where a clip has no
 * audio) and then everything is joined by stream copy. The film's duration is the sum of the
 * clips' durations (within one frame per clip).
 */
import fs from 'node:fs';
import os from 'node:os';
import pLimit from 'p-limit';
import path from 'node:path';
import { probe, type MediaInfo } from '../media/ffprobe';
import { runFfmpeg } from '../media/run-ffmpeg';
import { ffmpegRate } from '../media/frame-rate';

/** The format every clip of the film is brought to. Sizes in pixels. */
export interface FilmFormat {
  width: number;
  height: number;
  fps: number;
  sampleRate: number;
  channels: number;
}

/** Options of {@link stitchFilm}. */
export interface StitchOptions {
  /** Folder for normalised clips and the concat list (created, then removed). */
  workDir: string;
  /** 0..1 as the film is written. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
  /** Force a film format instead of the most common clip format. */
  format?: FilmFormat;
  /**
   * What is already known of each clip (same order as the clips; stored when it was recorded):
   * those clips are not probed again. Missing entries are probed.
   */
  infos?: (MediaInfo | null | undefined)[];
}

/**
 * Where the film is written until it is complete: beside `dest` (so the final rename is atomic
 * on the same disk), named after the export's work folder, so two exports of one project at once
 * (two windows, or the app and the CLI) never write or remove each other's partial film.
 */
export function partialFilmPath(dest: string, workDir: string): string {
  return `${dest}.${path.basename(workDir)}.part`;
}

/** Each clip's MediaInfo: the known ones as given, the others probed a few at a time. */
export async function clipInfos(clips: string[], opts: Pick<StitchOptions, 'infos' | 'signal'>): Promise<MediaInfo[]> {
  // A hundred probes one after the other would be most of a stream copy's time.
  const limit = pLimit(Math.max(2, Math.min(8, os.cpus().length * 2)));
  return Promise.all(clips.map((c, k) => opts.infos?.[k] ?? limit(() => probe(c, { signal: opts.signal }))));
}

/** What stitching did. Durations in seconds. */
export interface StitchResult {
  mode: 'stream-copy' | 're-encode';
  /** Number of clips that had to be re-encoded. */
  reencoded: number;
  format: FilmFormat;
  duration: number;
  clipsDuration: number;
}

const sameFps = (a: number, b: number) => Math.abs(a - b) < 0.01;

/** The most common size/fps among the clips, with AAC 48 kHz stereo audio unless all clips agree on other. */
export function chooseFormat(infos: MediaInfo[]): FilmFormat {
  const counts = new Map<string, { n: number; f: FilmFormat }>();
  for (const i of infos) {
    if (!i.video) continue;
    const f: FilmFormat = { width: i.video.width, height: i.video.height, fps: Math.round(i.video.fps * 1000) / 1000, sampleRate: i.audio?.sampleRate ?? 48000, channels: i.audio?.channels ?? 2 };
    const key = `${f.width}x${f.height}@${f.fps}/${f.sampleRate}/${f.channels}`;
    const c = counts.get(key) ?? { n: 0, f };
    c.n++;
    counts.set(key, c);
  }
  const best = [...counts.values()].sort((a, b) => b.n - a.n)[0];
  if (!best) throw new Error('no clip has a video stream');
  return best.f;
}

/** True when a clip can be joined to the film by stream copy as it is. */
export function matchesFormat(i: MediaInfo, f: FilmFormat, ref: MediaInfo): boolean {
  return (
    !!i.video && !!ref.video &&
    i.video.codec === 'h264' && ref.video.codec === 'h264' &&
    i.video.profile === ref.video.profile &&
    i.video.pixFmt === 'yuv420p' &&
    i.video.width === f.width && i.video.height === f.height && sameFps(i.video.fps, f.fps) &&
    !!i.audio && i.audio.codec === 'aac' && i.audio.sampleRate === f.sampleRate && i.audio.channels === f.channels
  );
}

/** ffmpeg arguments that bring one clip to the film format (H.264 yuv420p + AAC), keeping its duration. */
export function normaliseArgs(src: string, info: MediaInfo, f: FilmFormat, dest: string): string[] {
  const dur = info.video?.duration ?? info.duration;
  const layout = f.channels === 1 ? 'mono' : 'stereo';
  const vf = `[0:v]scale=${f.width}:${f.height}:force_original_aspect_ratio=decrease,pad=${f.width}:${f.height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps=${ffmpegRate(f.fps)},format=yuv420p[v]`;
  const args = ['-i', src];
  let af: string;
  if (info.audio) af = `[0:a]aresample=${f.sampleRate},aformat=channel_layouts=${layout},apad[a]`;
  else {
    args.push('-f', 'lavfi', '-i', `anullsrc=r=${f.sampleRate}:cl=${layout}`);
    af = `[1:a]anull[a]`;
  }
  return [
    ...args,
    '-filter_complex', `${vf};${af}`,
    '-map', '[v]', '-map', '[a]',
    '-t', String(dur),
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-r', ffmpegRate(f.fps),
    '-c:a', 'aac', '-b:a', '160k', '-ar', String(f.sampleRate), '-ac', String(f.channels),
    '-f', 'mp4', dest,
  ];
}

/**
 * One clip's entry in an ffconcat list (ffmpeg's concat demuxer, ffmpeg-formats(1)). Every clip in
 * the list was probed when it was recorded (or just before stitching), so the demuxer need not
 * analyse packets to learn its streams: `probesize 32` (with `indexOnly`) opens it from the MP4
 * index alone, which halves the demuxer's time for 100 clips and writes the same bytes. The
 * `option` directive needs ffmpeg 5.0 or newer; see {@link stitchFilm} for older ones.
 */
function concatEntry(file: string, indexOnly: boolean): string {
  const line = `file '${path.resolve(file).replace(/'/g, "'\\''")}'`;
  return indexOnly ? `${line}\noption probesize 32` : line;
}

/** An ffmpeg too old for the concat list's `option` directive (before 5.0, e.g. the static 4.x build in node_modules) said so. */
function refusesConcatOptions(e: unknown): boolean {
  return /unknown keyword 'option'/.test(`${(e as { stderrTail?: string }).stderrTail ?? ''} ${(e as Error).message}`);
}

/**
 * True when every clip's video has the same known setup data (SPS and PPS for H.264): the film's
 * single copy of it then decodes every clip, and the concat demuxer's conversion to Annex B and
 * back (its `auto_convert`, which the MP4 muxer undoes) can be left out. Clips encoded with other
 * settings (another x264 preset, another service) keep the conversion, which carries each clip's
 * own SPS and PPS into the film.
 */
export function sameSetupData(infos: (MediaInfo | undefined)[]): boolean {
  const first = infos[0]?.video?.extradataHash;
  return !!first && infos.every((i) => i?.video?.extradataHash === first);
}

/**
 * Joins `clips` (in film order) into `dest`. The film is written to a temporary file beside
 * `dest` and renamed into place when complete. Throws when a clip is unreadable (naming it) or
 * ffmpeg fails.
 */
export async function stitchFilm(clips: string[], dest: string, opts: StitchOptions): Promise<StitchResult> {
  if (clips.length === 0) throw new Error('no clips to stitch');
  fs.mkdirSync(opts.workDir, { recursive: true });
  const infos = await clipInfos(clips, opts);
  const format = opts.format ?? chooseFormat(infos);
  const ref = infos.find((i) => matchesFormat(i, format, i) && i.video?.width === format.width) ?? infos[0];
  const parts: string[] = [];
  const partInfos: (MediaInfo | undefined)[] = [];
  let reencoded = 0;
  const clipsDuration = infos.reduce((s, i) => s + i.duration, 0);
  let done = 0;
  for (let k = 0; k < clips.length; k++) {
    const info = infos[k];
    if (matchesFormat(info, format, ref)) {
      parts.push(clips[k]);
      partInfos.push(info);
    } else {
      const out = path.join(opts.workDir, `norm-${k}.mp4`);
      await runFfmpeg(normaliseArgs(clips[k], info, format, out), {
        totalSeconds: info.duration,
        signal: opts.signal,
        onProgress: (f) => opts.onProgress?.(((done + f * info.duration) / clipsDuration) * 0.8),
      }).catch((e) => {
        fs.rmSync(opts.workDir, { recursive: true, force: true });
        throw e;
      });
      parts.push(out);
      partInfos.push(undefined);
      reencoded++;
    }
    done += info.duration;
  }
  const list = path.join(opts.workDir, 'concat.txt');
  const tmp = partialFilmPath(dest, opts.workDir);
  const base = reencoded > 0 ? 0.8 : 0;
  // No +faststart: moving the index to the front is a second pass that writes the whole film
  // again (half of a stream copy's time). Players and editors read the index at the end; the app
  // serves the film with byte ranges, so its player reads the end first.
  const copyAsIs = sameSetupData(partInfos) ? ['-auto_convert', '0'] : [];
  const join = (indexOnly: boolean) => {
    fs.writeFileSync(list, `ffconcat version 1.0\n${parts.map((p) => concatEntry(p, indexOnly)).join('\n')}\n`);
    return runFfmpeg(['-f', 'concat', '-safe', '0', ...copyAsIs, '-i', list, '-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy', '-f', 'mp4', tmp], {
      totalSeconds: clipsDuration,
      signal: opts.signal,
      onProgress: (f) => opts.onProgress?.(base + f * (1 - base)),
    });
  };
  // An ffmpeg older than 5.0 refuses the list's `option` lines at once: the list is written again without them.
  await join(true)
    .catch((e) => {
      if (!opts.signal?.aborted && refusesConcatOptions(e)) return join(false);
      throw e;
    })
    .catch((e) => {
      fs.rmSync(tmp, { force: true });
      fs.rmSync(opts.workDir, { recursive: true, force: true });
      throw e;
    });
  fs.renameSync(tmp, dest);
  fs.rmSync(opts.workDir, { recursive: true, force: true });
  // Clips copied as they are: the film is their sum (the concat demuxer places each clip at the
  // sum of the durations before it; within a frame of what a player reads). Probing the film
  // again, its index at the end of hundreds of MB, was a fifth of a stream copy's time.
  // Re-encoded parts have new lengths: the film is probed then.
  const duration = reencoded === 0 ? clipsDuration : (await probe(dest, { signal: opts.signal })).duration;
  opts.onProgress?.(1);
  return { mode: reencoded > 0 ? 're-encode' : 'stream-copy', reencoded, format, duration, clipsDuration };
}
