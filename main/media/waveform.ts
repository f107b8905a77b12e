/**
 * The waveform of an audio file (a shot's `audio` cell) as a row of peaks for the shot inspector:
 * ffmpeg decodes it to mono 16-bit PCM at a low rate and each bar is the loudest sample of its
 * stretch of time.
 */
import { spawn } from 'node:child_process';
import { ffmpegPath } from './ffmpeg-path';

/** Samples per second the waveform is read at (enough for bars of 1/100 s or longer). */
export const WAVEFORM_RATE_HZ = 4000;

/** A waveform: `peaks` from 0 (silence) to 1 (full scale), `durationS` seconds of audio. */
export interface Waveform {
  peaks: number[];
  durationS: number;
}

/**
 * `bars` peaks of `file` (any audio or video file ffmpeg reads), each the loudest absolute sample
 * of an equal stretch of the audio. Reads at most `maxSeconds` (a shot's audio is seconds long; a
 * wrong cell pointing at a film stops there). Throws when ffmpeg fails or the file has no audio.
 */
export function waveformPeaks(file: string, bars = 160, maxSeconds = 600): Promise<Waveform> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath(), ['-v', 'error', '-t', String(maxSeconds), '-i', file, '-vn', '-ac', '1', '-ar', String(WAVEFORM_RATE_HZ), '-f', 's16le', '-acodec', 'pcm_s16le', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()).length > 4000 && (err = err.slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ffmpeg could not read the audio: ${err.trim().split('\n').pop() ?? `exit ${code}`}`));
      const pcm = Buffer.concat(chunks);
      const n = Math.floor(pcm.length / 2);
      if (n === 0) return reject(new Error('the file has no audio'));
      const peaks = new Array<number>(bars).fill(0);
      for (let i = 0; i < n; i++) {
        const bar = Math.min(bars - 1, Math.floor((i * bars) / n));
        const v = Math.abs(pcm.readInt16LE(i * 2)) / 32768;
        if (v > peaks[bar]) peaks[bar] = v;
      }
      resolve({ peaks: peaks.map((p) => Math.round(p * 1000) / 1000), durationS: n / WAVEFORM_RATE_HZ });
    });
  });
}
