/**
 * A submit whose answer is lost on the wire (the connection drops after the service has read the
 * request) is the same ambiguity as a process killed between sending a submit and storing its
 * answer: the service may have created - and charged - a task. The README promises that case is
 * never silent ("may have been submitted twice", counted in the summary). The per-provider matrix
 * shows what the queue does today (it submits again; the shot's attempts and events show it); this
 * file holds the expectation that the job is also flagged.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provider } from '../../main/providers/provider';
import { KITS, makeBatch, theJobWith, type Sim } from './kit';
import { FLAGGED_HOLD } from '../../main/queue/store';

const kit = KITS.apixo;
let sim: Sim;
let provider: Provider;
beforeAll(async () => {
  sim = await kit.start();
  provider = kit.create(sim);
});
afterAll(() => sim.close());

describe('a submit whose answer never arrived', () => {
  it('the resubmitted job is flagged "may have been submitted twice" and counted in the summary', async () => {
    const b = await makeBatch(kit, sim, provider);
    try {
      sim.faults.push({ kind: 'drop-connection', count: 1, on: 'submit' });
      const summary = await b.run();
      const job = theJobWith(b, /may have been submitted twice; held until you resubmit it/);
      // The service did create (and charge) a task, and the job says so ...
      expect(b.submissions().get(job.shotKey)).toBe(1);
      expect(b.store.job(job.id)!).toMatchObject({ maybeDuplicate: true, state: 'queued', holdReason: FLAGGED_HOLD });
      expect(summary).toMatchObject({ maybeDuplicate: 1, waiting: { [FLAGGED_HOLD]: 1 } });
      // ... and it is not submitted again until the creator says so; then a second task is paid for.
      expect(b.store.releaseFlagged()).toBe(1);
      const after = await b.run();
      expect(after).toMatchObject({ maybeDuplicate: 1, succeeded: 3 });
      expect(b.submissions().get(job.shotKey)).toBe(2);
      expect(b.chargesOf(job.shotKey)).toHaveLength(2);
    } finally {
      b.close();
    }
  });

  it('a submit answered with an HTTP error (429/5xx) created no task and is not flagged', async () => {
    const b = await makeBatch(kit, sim, provider);
    try {
      sim.faults.push({ kind: 'server-error', count: 1, on: 'submit', status: 503 });
      const summary = await b.run();
      const job = theJobWith(b, /^retrying in \d+ s: HTTP 503/);
      expect(b.submissions().get(job.shotKey)).toBe(1);
      expect(b.store.job(job.id)!.maybeDuplicate).toBe(false);
      expect(summary.maybeDuplicate).toBe(0);
    } finally {
      b.close();
    }
  });

  it('a submit that never reached the service (connection refused) is retried and not flagged', async () => {
    // A port with nothing listening: the first submit cannot connect. Once it has failed, a
    // forwarder to the simulator starts listening there and the retry goes through.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const target = new URL(sim.baseUrl);
    const forwarder = net.createServer((c) => {
      const up = net.connect(Number(target.port), target.hostname);
      c.pipe(up).pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    });
    const refused = kit.create({ ...sim, baseUrl: sim.baseUrl.replace(`:${target.port}`, `:${port}`) } as Sim);
    const b = await makeBatch(kit, sim, refused, { shots: 1 });
    try {
      const running = b.run();
      for (let i = 0; i < 500 && !b.jobs().some((j) => b.messages(j).some((m) => /ECONNREFUSED/.test(m))); i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise<void>((r) => forwarder.listen(port, '127.0.0.1', r));
      const summary = await running;
      const job = theJobWith(b, /ECONNREFUSED/);
      expect(b.store.job(job.id)!.state).toBe('succeeded');
      expect(b.submissions().get(job.shotKey)).toBe(1);
      expect(b.store.job(job.id)!.maybeDuplicate).toBe(false);
      expect(summary.maybeDuplicate).toBe(0);
    } finally {
      b.close();
      await new Promise<void>((r) => forwarder.close(() => r()));
    }
  });
});
