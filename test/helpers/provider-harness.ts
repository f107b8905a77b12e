/**
 * Drives one provider directly (validate -> submit -> poll -> download) for contract tests, and
 * builds shots without a storyboard file.
 */
import path from 'node:path';
import type { PollResult, Provider, ProviderContext, ProviderRequest, SubmitResult } from '../../main/providers/provider';
import type { Shot } from '../../main/storyboard/shot';
import { parseResolution } from '../../main/storyboard/fields';
import { tmpDir } from './tmp';

/** A provider context for tests: never aborted, no pacing, logs collected. */
export function testCtx(logs: string[] = []): ProviderContext {
  return { signal: new AbortController().signal, tmpDir: tmpDir(), log: (m) => logs.push(m), beforeRequest: async () => {} };
}

/** A valid text-to-video shot with `over` applied. */
export function shot(over: Partial<Shot> & { res?: string } = {}): Shot {
  const { res, ...rest } = over;
  const aspect = rest.aspectRatio ?? '16:9';
  return {
    id: '1', order: 0, row: 2, prompt: 'a lighthouse at dusk', mode: 'text-to-video', duration: 5,
    resolution: parseResolution(res ?? '720p', aspect), aspectRatio: aspect, fps: 25, seed: -1, loras: [], metadata: {},
    ...rest,
  };
}

/** Validates and returns the request, failing the test with the issues otherwise. */
export function requestFor(p: Provider, s: Shot): ProviderRequest {
  const v = p.validate(s);
  if (!v.ok) throw new Error(`validation failed: ${JSON.stringify(v.issues)}`);
  return v.request;
}

/** Submits, polls until done (ignoring poll intervals) and downloads when it succeeded. */
export async function renderOnce(p: Provider, req: ProviderRequest, ctx = testCtx()): Promise<{ submit: SubmitResult; final: PollResult; file?: string; polls: number }> {
  const submit = await p.submit!(req, ctx);
  let final: PollResult = submit.immediate ?? { status: 'pending' };
  let polls = 0;
  while (final.status === 'pending' || final.status === 'running') {
    await new Promise((r) => setTimeout(r, 20));
    final = await p.poll!(submit.taskId, req, ctx);
    polls++;
    if (polls > 500) throw new Error('task never finished');
  }
  if (final.status !== 'succeeded') return { submit, final, polls };
  const file = path.join(ctx.tmpDir, 'clip.mp4');
  await p.download!(submit.taskId, final.result, file, ctx);
  return { submit, final, file, polls };
}
