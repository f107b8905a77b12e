/**
 * Films with crossfades: every clip is brought to the film format and joined in one ffmpeg filter
 * graph, `xfade` (video) and `acrossfade` (audio) at crossfade joints and `concat` at cuts. Each
 * crossfade shortens the film by its length. Needs ffmpeg 4.3 or newer (xfade).
 */
import fs from 'node:fs';
import { probe, type MediaInfo } from '../media/ffprobe';
import { runFfmpeg } from '../media/run-ffmpeg';
import { chooseFormat, clipInfos, partialFilmPath, stitchFilm, type StitchOptions, type StitchResult } from './stitch';

/**
 * Joins `clips` with `joints[i]` between clip i and i+1 into `dest`. With only cuts this is
 * {@link stitchFilm}. Crossfades last `seconds` (at most a third of the shorter clip).
 * Throws when a clip is unreadable or ffmpeg fails (an ffmpeg without xfade says so).
 */
export async function stitchWithJoints(clips: string[], joints: ('cut' | 'crossfade')[], dest: string, seconds: number, opts: StitchOptions): Promise<StitchResult> {
  if (!joints.includes('crossfade')) return stitchFilm(clips, dest, opts);
  const infos = await clipInfos(clips, opts);
  const f = opts.format ?? chooseFormat(infos);
  const layout = f.channels === 1 ? 'mono' : 'stereo';
  const args: string[] = [];
  const parts: string[] = [];
  infos.forEach((info, i) => {
    args.push('-i', clips[i]);
    const d = info.video?.duration ?? info.duration;
    parts.push(`[${i}:v]scale=${f.width}:${f.height}:force_original_aspect_ratio=decrease,pad=${f.width}:${f.height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${f.fps},format=yuv420p,settb=AVTB,trim=duration=${d}[v${i}]`);
    if (info.audio) parts.push(`[${i}:a]aresample=${f.sampleRate},aformat=channel_layouts=${layout},apad,atrim=duration=${d}[a${i}]`);
    else parts.push(`anullsrc=r=${f.sampleRate}:cl=${layout},atrim=duration=${d}[a${i}]`);
  });
  let v = 'v0';
  let a = 'a0';
  let length = infos[0].video?.duration ?? infos[0].duration;
  for (let i = 1; i < clips.length; i++) {
    const d = infos[i].video?.duration ?? infos[i].duration;
    const prev = infos[i - 1].video?.duration ?? infos[i - 1].duration;
    if (joints[i - 1] === 'crossfade') {
      const x = Math.min(seconds, prev / 3, d / 3);
      parts.push(`[${v}][v${i}]xfade=transition=fade:duration=${x.toFixed(3)}:offset=${(length - x).toFixed(3)}[vx${i}]`);
      parts.push(`[${a}][a${i}]acrossfade=d=${x.toFixed(3)}[ax${i}]`);
      length += d - x;
    } else {
      parts.push(`[${v}][${a}][v${i}][a${i}]concat=n=2:v=1:a=1[vx${i}][ax${i}]`);
      length += d;
    }
    v = `vx${i}`;
    a = `ax${i}`;
  }
  const tmp = partialFilmPath(dest, opts.workDir);
  await runFfmpeg(
    [...args, '-filter_complex', parts.join(';'), '-map', `[${v}]`, '-map', `[${a}]`, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-r', String(f.fps), '-c:a', 'aac', '-b:a', '160k', '-movflags', '+faststart', '-f', 'mp4', tmp],
    { totalSeconds: length, signal: opts.signal, onProgress: opts.onProgress },
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
