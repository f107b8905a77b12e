import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBytecomputeProvider } from '../../main/providers/bytecompute/bytecompute';
import { createApiinoneProvider } from '../../main/providers/apiinone/apiinone';
import { createApixoProvider } from '../../main/providers/apixo/apixo';
import { startBytecomputeSimulator } from '../simulators/bytecompute';
import { startApiinoneSimulator } from '../simulators/apiinone';
import { startApixoSimulator } from '../simulators/apixo';
import { testCtx } from '../helpers/provider-harness';

const KEY = 'key-check-secret-4321';
const sims: { close(): unknown }[] = [];
afterAll(() => sims.forEach((s) => s.close()));

const cases = [
  ['bytecompute', startBytecomputeSimulator, (env: NodeJS.ProcessEnv) => createBytecomputeProvider(env)],
  ['apiinone', startApiinoneSimulator, (env: NodeJS.ProcessEnv) => createApiinoneProvider(env)],
  ['apixo', startApixoSimulator, (env: NodeJS.ProcessEnv) => createApixoProvider(env)],
] as const;

describe.each(cases)('%s: keys test', (id, start, create) => {
  let baseUrl = '';
  let sim: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    sim = await start({ apiKey: KEY });
    sims.push(sim);
    baseUrl = sim.baseUrl;
  });
  const env = (key: string) => ({ [`${id.toUpperCase()}_API_KEY`]: key, [`${id.toUpperCase()}_BASE_URL`]: baseUrl });

  it('accepts the right key and rejects a wrong one without creating a task, and never echoes the key', async () => {
    const ok = await create(env(KEY)).checkKey!(testCtx());
    expect(ok.ok).toBe(true);
    const bad = await create(env('wrong-key-999999')).checkKey!(testCtx());
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/key rejected \(HTTP 40[13]/);
    expect(bad.message).not.toContain('wrong-key-999999');
    expect(sim.submissions).toHaveLength(0);
  });

  it('lists its price table', () => {
    expect(create(env(KEY)).describePrices!().length).toBeGreaterThan(0);
  });
});
