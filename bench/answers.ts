/**
 * Bench phase: video answers streamed to disk. A local server answers with a 64 MiB body
 * (`Connection: close`, as the LTX v1 form answers with the MP4 itself), fetched once and then 10
 * times at once through the provider transport (open + saveResult). Figures: wall time and the
 * growth of the process's resident memory while fetching, beside copying the same bytes from disk
 * (fs.copyFile, same count, same run). The goal: 10 answers at once cost no more memory than one.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { open, saveResult } from '../main/providers/http';
import type { ProviderContext } from '../main/providers/provider';

const MiB = 2 ** 20;

/** Runs the phase in `work`; returns its figures (ms, MiB). */
export async function answersPhase(work: string, sizeMiB = Number(process.env.BENCH_ANSWER_MIB ?? 64), parallel = 10) {
  const src = path.join(work, 'answer.mp4');
  const block = Buffer.alloc(MiB, 7);
  const fd = fs.openSync(src, 'w');
  for (let i = 0; i < sizeMiB; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': sizeMiB * MiB, connection: 'close' });
    fs.createReadStream(src).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/answer.mp4`;
  const ctx: ProviderContext = { signal: new AbortController().signal, tmpDir: work, log: () => {}, beforeRequest: async () => {} };

  /** Wall time and resident-memory growth (peak minus start) of `fn`. */
  const measure = async (fn: () => Promise<unknown>) => {
    (globalThis as { gc?: () => void }).gc?.();
    const start = process.memoryUsage().rss;
    let peak = start;
    const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    clearInterval(t);
    peak = Math.max(peak, process.memoryUsage().rss);
    return { ms, rssGrowthMiB: Math.round(((peak - start) / MiB) * 10) / 10 };
  };
  const fetchTo = async (dest: string) => saveResult(ctx, await open(ctx, { method: 'GET', url }), dest, '127.0.0.1');
  const many = (k: number, f: (i: number) => Promise<unknown>) => Promise.all(Array.from({ length: k }, (_, i) => f(i)));
  const clean = () => {
    for (const f of fs.readdirSync(work)) if (f.startsWith('got-') || f.startsWith('ref-')) fs.rmSync(path.join(work, f));
  };

  const one = await measure(() => fetchTo(path.join(work, 'got-0.mp4')));
  clean();
  const ten = await measure(() => many(parallel, (i) => fetchTo(path.join(work, `got-${i}.mp4`))));
  clean();
  const ref = await measure(() => many(parallel, (i) => fs.promises.copyFile(src, path.join(work, `ref-${i}.mp4`))));
  clean();
  server.close();
  fs.rmSync(src);
  return { sizeMiB, parallel, oneMs: one.ms, oneRssGrowthMiB: one.rssGrowthMiB, parallelMs: ten.ms, parallelRssGrowthMiB: ten.rssGrowthMiB, copyMs: ref.ms, copyRssGrowthMiB: ref.rssGrowthMiB, ratio: ten.ms / ref.ms };
}
