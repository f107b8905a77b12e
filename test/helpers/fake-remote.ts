/**
 * An in-memory remote provider for queue tests: the network edge replaced by a scripted service.
 * It counts submissions per shot so tests can prove nothing was paid twice, and writes a real
 * (tiny) MP4 on download so the queue's playability check runs for real.
 */
import fs from 'node:fs';
import { ProviderError, type PollResult, type Provider, type SubmitResult } from '../../main/providers/provider';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import type { Shot } from '../../main/storyboard/shot';

/** A scripted answer: thrown error or poll result, consumed in order per call kind. */
export type Scripted = ProviderError | PollResult;

/** The fake service's state, visible to tests. */
export interface FakeRemote extends Provider {
  submissions: Map<string, number>;
  polls: number;
  /** Answers to the next submit calls (errors), then normal behaviour. */
  submitScript: ProviderError[];
  /** Answers to the next poll calls, then "succeeded". */
  pollScript: Scripted[];
  /** Errors for the next download calls. */
  downloadScript: ProviderError[];
}

/** Creates a fake remote provider `id` with `concurrency` and a per-shot price in USD. */
export function fakeRemote(id = 'fake', opts: { concurrency?: number; usdPerShot?: number; estimate?: { min: number; max: number }; actualUsd?: number | null } = {}): FakeRemote {
  const preview = createPreviewProvider();
  let next = 1;
  const tasks = new Map<string, { shot: string; body: Record<string, unknown> }>();
  const p: FakeRemote = {
    id,
    label: `Fake ${id}`,
    kind: 'remote',
    doc: 'test',
    submissions: new Map(),
    polls: 0,
    submitScript: [],
    pollScript: [],
    downloadScript: [],
    capabilities: () => preview.capabilities(),
    limits: () => ({ concurrency: opts.concurrency ?? 4, requestsPerMinute: null }),
    availability: () => ({ ok: true }),
    validate: (shot: Shot) => {
      const v = preview.validate(shot);
      if (v.ok) v.request.body = { ...v.request.body, width: 64, height: 36, duration: 0.4, fps: 10 };
      return v;
    },
    estimate: () => ({ unit: 'USD', min: opts.estimate?.min ?? opts.usdPerShot ?? 0.1, max: opts.estimate?.max ?? opts.usdPerShot ?? 0.1, usdPerUnit: 1, basis: 'fake' }),
    async submit(request): Promise<SubmitResult> {
      await request; // keep async
      const err = p.submitScript.shift();
      if (err) throw err;
      const shot = String(request.body.shotId);
      p.submissions.set(shot, (p.submissions.get(shot) ?? 0) + 1);
      const taskId = `task-${next++}`;
      tasks.set(taskId, { shot, body: request.body });
      return { taskId, firstPollMs: 1 };
    },
    async poll(): Promise<PollResult> {
      p.polls++;
      const s = p.pollScript.shift();
      if (s instanceof ProviderError) throw s;
      if (s) return s;
      const amount = opts.actualUsd === undefined ? (opts.usdPerShot ?? 0.1) : opts.actualUsd;
      return { status: 'succeeded', result: { kind: 'task' }, actual: amount === null ? undefined : { unit: 'USD', amount } };
    },
    async download(taskId, _result, dest, ctx) {
      const err = p.downloadScript.shift();
      if (err) throw err;
      const t = tasks.get(taskId) ?? { body: { shotId: 'x', prompt: 'x', width: 64, height: 36, duration: 0.4, fps: 10 } };
      // The animatic is drawn in a temporary folder under ctx.tmpDir, which a provider makes itself (see ProviderContext.tmpDir).
      fs.mkdirSync(ctx.tmpDir, { recursive: true });
      await preview.render!({ route: 'x', body: t.body }, dest, { ...ctx, onProgress: () => {} });
      if (!fs.existsSync(dest)) throw new Error('fake download wrote nothing');
    },
  };
  return p;
}
