/**
 * Films with crossfades: every clip is brought to the film format and joined in one ffmpeg filter
 * graph, `xfade` (video) and `acrossfade` (audio) at crossfade joints and `concat` at cuts. Each
 * crossfade shortens the film by its length. Needs ffmpeg 4.3 or newer (xfade).
 */
import fs from 'node:fs';
import { probe, type MediaInfo } from '../media/ffprobe';
import { runFfmpeg } from '../media/run-ffmpeg';
import { CROSSFADE_SECONDS, crossfadeFrames } from './timeline';
import { ffmpegRate, rateOf } from '../media/frame-rate';
import { chooseFormat, clipInfos, partialFilmPath, stitchFilm, type StitchOptions, type StitchResult } from './stitch';

/**
 * Joins `clips` with `joints[i]` between clip i and i+1 into `dest`. With only cuts this is
 * {@link stitchFilm}. The crossfade after clip i lasts `seconds[i]` (one number: every one),
 * at most a third of the shorter clip (crossfadeLength in ./timeline.ts).
 * Throws when a clip is unreadable or ffmpeg fails (an ffmpeg without xfade says so).
 */
export async function stitchWithJoints(clips: string[], joints: ('cut' | 'crossfade')[], dest: string, seconds: number | number[], opts: StitchOptions): Promise<StitchResult> {
  if (!joints.includes('crossfade')) return stitchFilm(clips, dest, opts);
  const infos = await clipInfos(clips, opts);
  const f = opts.format ?? chooseFormat(infos);
  const layout = f.channels === 1 ? 'mono' : 'stereo';
  const args: string[] = [];
  const parts: string[] = [];
  // Whole frames throughout (the clip's own frame count, crossfades rounded to frames), so the film
  // is exactly the sum of its clips less its crossfades, as the editor exports describe it.
  const exact = rateOf(f.fps);
  const fps = exact.num / exact.den;
  const rate = ffmpegRate(fps);
  const frames = infos.map((info) => info.video?.frames ?? Math.round((info.video?.duration ?? info.duration) * fps));
  infos.forEach((info, i) => {
    args.push('-i', clips[i]);
    const d = frames[i] / fps;
    parts.push(`[${i}:v]scale=${f.width}:${f.height}:force_original_aspect_ratio=decrease,pad=${f.width}:${f.height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${rate},format=yuv420p,settb=AVTB,trim=end_frame=${frames[i]}[v${i}]`);
    if (info.audio) parts.push(`[${i}:a]aresample=${f.sampleRate},aformat=channel_layouts=${layout},apad,atrim=duration=${d}[a${i}]`);
    else parts.push(`anullsrc=r=${f.sampleRate}:cl=${layout},atrim=duration=${d}[a${i}]`);
  });
  let v = 'v0';
  let a = 'a0';
  let length = frames[0];
  for (let i = 1; i < clips.length; i++) {
    const x = joints[i - 1] === 'crossfade' ? crossfadeFrames(typeof seconds === 'number' ? seconds : (seconds[i - 1] ?? CROSSFADE_SECONDS), frames[i - 1], frames[i], fps) : 0;
    if (x > 0) {
      parts.push(`[${v}][v${i}]xfade=transition=fade:duration=${(x / fps).toFixed(6)}:offset=${((length - x) / fps).toFixed(6)}[vx${i}]`);
      parts.push(`[${a}][a${i}]acrossfade=d=${(x / fps).toFixed(6)}[ax${i}]`);
      length += frames[i] - x;
    } else {
      parts.push(`[${v}][${a}][v${i}][a${i}]concat=n=2:v=1:a=1[vx${i}][ax${i}]`);
      length += frames[i];
    }
    v = `vx${i}`;
    a = `ax${i}`;
  }
  const tmp = partialFilmPath(dest, opts.workDir);
  await runFfmpeg(
    [...args, '-filter_complex', parts.join(';'), '-map', `[${v}]`, '-map', `[${a}]`, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-r', rate, '-frames:v', String(length), '-c:a', 'aac', '-b:a', '160k', '-movflags', '+faststart', '-f', 'mp4', tmp],
    { totalSeconds: length / fps, signal: opts.signal, onProgress: opts.onProgress },
  ).catch((e: Error) => {
    fs.rmSync(tmp, { force: true });
    if (/No such filter: 'xfade'/.test(e.message + ((e as { stderrTail?: string }).stderrTail ?? ''))) throw new Error('crossfades need ffmpeg 4.3 or newer (the xfade filter); install a current ffmpeg or set FFMPEG_PATH');
    throw e;
  });
  fs.renameSync(tmp, dest);
  const film = await probe(dest, { signal: opts.signal });
  opts.onProgress?.(1);
  return { mode: 're-encode', reencoded: clips.length, format: f, duration: film.duration, clipsDuration: infos.reduce((s, i) => s + i.duration, 0) };
}
