/**
 * The farm provider without a farm: its configuration, estimates in GPU seconds and USD, and what
 * it refuses, as `ltx-batch estimate` and the Shots screen show them. The farm itself (Temporal,
 * workers) is exercised in test/farm/farm.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFarmProvider, farmConfig, workflowIdOf } from '../../main/providers/farm/farm';
import { recordSpeed } from '../../main/providers/farm/prices';
import { importStoryboard } from '../../main/storyboard/import';
import { tmpDir, withFiles } from '../helpers/tmp';

async function shots(rows: string[]) {
  const dir = withFiles({ 'sb.csv': ['shot,prompt,duration,resolution,fps,mode,image', ...rows].join('\n') });
  return (await importStoryboard(path.join(dir, 'sb.csv'))).shots;
}

describe('farm provider', () => {
  it('is not available until a farm and shared storage are set, and says which variable to set', () => {
    expect(createFarmProvider({}).availability()).toMatchObject({ ok: false, reason: expect.stringContaining('LTX_FARM_ADDRESS') });
    expect(createFarmProvider({ LTX_FARM_ADDRESS: 'farm.local:7233' }).availability()).toMatchObject({ ok: false, reason: expect.stringContaining('LTX_FARM_STORAGE') });
    expect(createFarmProvider({ LTX_FARM_ADDRESS: 'farm.local:7233', LTX_FARM_STORAGE: tmpDir() }).availability()).toEqual({ ok: true });
    expect(createFarmProvider({ LTX_FARM_ADDRESS: 'farm.local:7233', LTX_FARM_STORAGE: tmpDir(), LTX_FARM_USD_PER_GPU_HOUR: 'two' }).availability()).toEqual({ ok: false, reason: 'LTX_FARM_USD_PER_GPU_HOUR must be a number >= 0; got "two"' });
    expect(() => farmConfig({ LTX_FARM_HEARTBEAT_S: '-1' })).toThrow('LTX_FARM_HEARTBEAT_S must be a number >= 0; got "-1"');
  });

  it('estimates GPU seconds from the speed the farm measured, in USD only when a GPU-hour price is set', async () => {
    const home = tmpDir();
    const [five, ten] = await shots(['1,a,5,720p,24,,', '2,b,10,720p,24,,']);
    const free = createFarmProvider({ LTX_BATCH_HOME: home, LTX_FARM_ADDRESS: 'x:1', LTX_FARM_STORAGE: home });
    // Before any shot finished: the assumed 2 s per step, 30 steps, said to be assumed.
    expect(free.estimate(five)).toMatchObject({ unit: 'USD', min: 0, max: 0 });
    expect(free.estimate(five).basis).toBe('about 60 GPU seconds, 30 steps x 2.00 s/step (assumed until the farm has finished a shot); not priced (set LTX_FARM_USD_PER_GPU_HOUR for rented GPUs)');
    expect(free.sources!().assumed).toEqual(['2 s per denoising step until the farm has finished a shot']);
    // Finished shots measured 0.5 and 1.5 s per step: the mean, 1.0.
    recordSpeed(path.join(home, 'farm-speed.json'), 0.5);
    recordSpeed(path.join(home, 'farm-speed.json'), 1.5);
    expect(JSON.parse(fs.readFileSync(path.join(home, 'farm-speed.json'), 'utf8'))).toEqual({ secondsPerStep: 1, takes: 2 });
    const rented = createFarmProvider({ LTX_BATCH_HOME: home, LTX_FARM_ADDRESS: 'x:1', LTX_FARM_STORAGE: home, LTX_FARM_USD_PER_GPU_HOUR: '3.6' });
    // 30 steps x 1 s = 30 GPU seconds at $3.60/h = $0.03; a 10 s shot twice that.
    expect(rented.estimate(five)).toMatchObject({ min: 0.03, max: 0.03 });
    expect(rented.estimate(five).basis).toBe('about 30 GPU seconds at $3.6/GPU-hour, 30 steps x 1.00 s/step (measured on your farm)');
    expect(rented.estimate(ten).max).toBeCloseTo(0.06, 10);
    expect(rented.sources!().assumed).toEqual([]);
  });

  it('refuses what the workers cannot render, naming the column', async () => {
    const p = createFarmProvider({ LTX_FARM_ADDRESS: 'x:1', LTX_FARM_STORAGE: tmpDir() });
    const [long, i2vWithout, big] = await shots(['1,a,25,720p,24,,', '2,b,5,720p,24,image-to-video,', '3,c,5,4096x2160,24,,']);
    expect(p.validate(long)).toEqual({ ok: false, issues: [{ column: 'duration', message: "the farm's workers render 0.5-20 s; got 25 s" }] });
    expect(p.validate(i2vWithout)).toMatchObject({ ok: false, issues: [{ column: 'image' }] });
    expect(p.validate(big)).toMatchObject({ ok: false, issues: [{ column: 'resolution' }] });
  });

  it('names a take by project, job and attempt, so job ids that restart in every project never collide', () => {
    expect(workflowIdOf('0b7d5e2a-1c3f-4a9b-8d6e-5f4a3b2c1d0e', 3, 2)).toBe('ltx-batch-0b7d5e2a-1c3f-4a9b-8d6e-5f4a3b2c1d0e-job-3-attempt-2');
    expect(workflowIdOf('a', 3, 1)).not.toBe(workflowIdOf('b', 3, 1));
  });
});
