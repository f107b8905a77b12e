/**
 * What a farm shot costs: GPU time, from the farm's own measured seconds per denoising step, and
 * USD when the studio sets a price per GPU-hour (rented pods cost money; the office's GPUs do not).
 * Source: measured on your farm (each finished take reports its seconds per step), read when the
 * estimate is made; the price per GPU-hour is the creator's (LTX_FARM_USD_PER_GPU_HOUR).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Denoising steps a worker runs when the request names none (diffusers' LTX2Pipeline default). */
export const DEFAULT_STEPS = 30;
/** Seconds per step assumed until the farm has finished a take (an RTX 4090-class GPU at 720p, 5 s). */
export const ASSUMED_SECONDS_PER_STEP = 2;

/** The farm's measured speed, kept in the data folder (`farm-speed.json`). */
export interface FarmSpeed {
  /** Mean seconds per denoising step over the last finished takes. */
  secondsPerStep: number;
  /** How many takes it is measured from (at most 20 count). */
  takes: number;
}

/** Reads the measured speed; null when none was recorded (or the file is unreadable). */
export function readSpeed(file: string): FarmSpeed | null {
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as FarmSpeed;
    return typeof j.secondsPerStep === 'number' && j.secondsPerStep > 0 ? j : null;
  } catch {
    return null;
  }
}

/** Adds one finished take's seconds per step to the running mean (the last 20 takes weigh most) and writes it atomically. */
export function recordSpeed(file: string, secondsPerStep: number): FarmSpeed {
  const old = readSpeed(file);
  const n = Math.min(20, (old?.takes ?? 0) + 1);
  const next = { secondsPerStep: old ? old.secondsPerStep + (secondsPerStep - old.secondsPerStep) / n : secondsPerStep, takes: n };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(next));
  fs.renameSync(`${file}.tmp`, file);
  return next;
}

/**
 * GPU seconds a shot takes on the farm: steps x seconds per step x max(1, duration / 5 s) (a 5 s
 * clip is the unit the speed is measured at; longer clips scale with their frames).
 */
export function gpuSecondsFor(durationS: number, secondsPerStep: number, steps = DEFAULT_STEPS): number {
  return steps * secondsPerStep * Math.max(1, durationS / 5);
}
