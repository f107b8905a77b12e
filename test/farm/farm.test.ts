/**
 * The render farm end to end on CPU (issue 17): Temporal's dev server on 127.0.0.1, two workers
 * started with `ltx-batch farm worker` (tiny LTX-2 pipeline), a shared folder, and `ltx-batch
 * render --provider farm`. Real processes throughout; what a studio would notice is asserted:
 * every shot renders once across both machines, a machine dying mid-shot costs one retry on the
 * other and one clip, a cancel stops the worker, a desktop killed mid-batch never starts a take
 * twice, a Temporal restart does not lose the batch, S3 storage through presigned URLs works, and
 * nothing is left running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFarmProvider } from '../../main/providers/farm/farm';
import { TemporalGateway, type FarmGateway } from '../../main/providers/farm/temporal';
import { ProviderRegistry } from '../../main/providers/registry';
import { planStoryboard } from '../../main/pricing/plan';
import { ProjectStore } from '../../main/queue/store';
import { QueueRunner } from '../../main/queue/runner';
import { importStoryboard } from '../../main/storyboard/import';
import { probe } from '../../main/media/ffprobe';
import { ffmpegPath } from '../../main/media/ffmpeg-path';
import { runCli, startCli } from '../helpers/cli';
import { tmpDir, withFiles } from '../helpers/tmp';
import { screenshot, startHarness } from '../e2e/harness';
import { DevServer, TEMPORAL, VENV, alive, farmToolsPresent, freePort, processesWith, startWorker, until, type FarmWorker } from './farm-harness';

const taskQueue = `ltx-farm-test-${process.pid}`;
const storage = tmpDir('ltx-farm-storage-');
const home = tmpDir('ltx-farm-home-');
let server: DevServer;
let workers: FarmWorker[] = [];
let gateway: TemporalGateway;
let env: Record<string, string>;

/** The project's UUID (migration 12) from a render folder. */
function projectUuid(out: string): string {
  const db = new Database(path.join(out, 'project.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT uuid FROM project_meta').get() as { uuid: string }).uuid;
  } finally {
    db.close();
  }
}

/** Jobs of a render folder: id, state, task id, actual USD. */
function jobsOf(out: string): { id: number; state: string; remote_task_id: string | null; actual_usd: number | null; attempts: number }[] {
  if (!fs.existsSync(path.join(out, 'project.sqlite'))) return [];
  const db = new Database(path.join(out, 'project.sqlite'), { readonly: true, timeout: 5000 });
  try {
    return db.prepare('SELECT id, state, remote_task_id, actual_usd, attempts FROM jobs ORDER BY id').all() as ReturnType<typeof jobsOf>;
  } catch {
    return []; // the CLI is still creating the database
  } finally {
    db.close();
  }
}

/** Every RenderTake workflow id on the server, read with the Temporal CLI (not our adapter). */
function workflowIds(prefix: string): string[] {
  const r = spawnSync(TEMPORAL, ['workflow', 'list', '--address', server.address, '--query', "WorkflowType = 'RenderTake'", '--output', 'json', '--limit', '1000'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`temporal workflow list: ${r.stderr}`);
  const text = r.stdout.trim();
  const rows: { execution?: { workflowId?: string } }[] = text.startsWith('[') ? JSON.parse(text) : text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return rows.map((w) => w.execution?.workflowId ?? '').filter((id) => id.startsWith(prefix));
}

const csv = (rows: string[]) => withFiles({ 'sb.csv': ['shot,prompt,duration,resolution,fps,seed', ...rows].join('\n') + '\n' });
const longShot = (n: number) => `${n},a long slow pan ${n},8,256x256,24,${n}`;

beforeAll(async () => {
  expect(farmToolsPresent(), `the runner venv with the Temporal CLI is missing at ${VENV}: run bash resources/runner/install.sh ${VENV} --cpu --test`).toBe(true);
  server = new DevServer(await freePort(), path.join(tmpDir('ltx-farm-db-'), 'farm.db'));
  await server.start();
  env = {
    LTX_FARM_ADDRESS: server.address,
    LTX_FARM_TASK_QUEUE: taskQueue,
    LTX_FARM_STORAGE: storage,
    LTX_FARM_HEARTBEAT_S: '3',
    LTX_FARM_USD_PER_GPU_HOUR: '1.8',
    LTX_BATCH_HOME: home,
  };
  gateway = new TemporalGateway({ address: server.address, namespace: 'default', taskQueue });
  workers = await Promise.all([0, 1].map(() => startWorker({ address: server.address, taskQueue, storage })));
}, 300_000);

afterAll(async () => {
  await gateway?.close();
  await Promise.all(workers.map((w) => w.stop()));
  await server?.stop();
  // Nothing left behind: no worker (Python or CLI) on this task queue, no server on this database.
  expect(processesWith(taskQueue)).toEqual([]);
  if (server) expect(processesWith(server.dbFile)).toEqual([]);
}, 120_000);

describe('render farm through Temporal (tiny pipeline on CPU)', () => {
  it('renders a 6-shot storyboard across both workers, each loading its pipeline once; farm status lists them', async () => {
    const dir = csv(Array.from({ length: 6 }, (_, i) => `${i + 1},shot ${i + 1} on the farm,1,64x64,8,${i + 1}`));
    const out = tmpDir('ltx-farm-out-');
    const r = await runCli(['render', path.join(dir, 'sb.csv'), '--provider', 'farm', '--out', out, '--plain'], env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('6 succeeded');
    expect(fs.readdirSync(path.join(out, 'clips')).filter((f) => f.endsWith('.mp4'))).toHaveLength(6);
    // Exactly duration x fps frames, as the local runner renders them.
    expect((await probe(path.join(out, 'clips', 'shot-1-take1.mp4'))).video).toMatchObject({ width: 64, height: 64, frames: 8 });
    expect((await probe(path.join(out, 'film.mp4'))).video!.frames).toBe(48);
    const jobs = jobsOf(out);
    const results = await Promise.all(jobs.map(async (j) => gateway.describe(j.remote_task_id!)));
    const byWorker = new Map<string, number>();
    for (const s of results) {
      expect(s.status).toBe('completed');
      if (s.status !== 'completed') continue;
      byWorker.set(s.result.worker, (byWorker.get(s.result.worker) ?? 0) + 1);
      expect(s.result.pipeline_loads).toBe(1);
    }
    expect([...byWorker.keys()].sort()).toEqual(workers.map((w) => w.identity).sort());
    // One workflow per take, named by the project's UUID, the job id and the attempt.
    expect(workflowIds(`ltx-batch-${projectUuid(out)}-`).sort()).toEqual(jobs.map((j) => `ltx-batch-${projectUuid(out)}-job-${j.id}-attempt-1`).sort());
    // The GPU time is priced at the farm's rate, and the estimate used the speed the farm measured.
    expect(jobs.every((j) => (j.actual_usd ?? 0) > 0)).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(home, 'farm-speed.json'), 'utf8')).takes).toBeGreaterThanOrEqual(6);

    const st = await runCli(['farm', 'status'], env);
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toContain(`task queue ${taskQueue}: 2 workers polling`);
    for (const w of workers) expect(st.stdout).toContain(w.identity);
    expect(workers[0].identity).toMatch(/ gpu=cpu vram=- model=tiny-random policy=full pid=\d+$/);
  }, 240_000);

  it('a worker killed mid-shot: the shot finishes on the other worker, one clip, and the ledger matches', async () => {
    const dir = csv([longShot(1)]);
    const out = tmpDir('ltx-farm-out-');
    const cli = startCli(['render', path.join(dir, 'sb.csv'), '--provider', 'farm', '--out', out, '--plain'], env);
    const done = new Promise<number | null>((r) => cli.on('close', (code) => r(code)));
    let log = '';
    cli.stdout!.on('data', (d) => (log += d));
    cli.stderr!.on('data', (d) => (log += d));
    const running = await until('the shot rendering on a worker', async () => (await gateway.active()).find((a) => a.worker && a.step >= 1), 120_000, 100);
    const victim = workers.find((w) => w.identity === running.worker)!;
    const survivor = workers.find((w) => w !== victim)!;
    process.kill(victim.pid, 'SIGKILL');
    expect(await done, log).toBe(0);
    expect(log).toContain('1 succeeded');
    expect(fs.readdirSync(path.join(out, 'clips')).filter((f) => f.endsWith('.mp4'))).toEqual(['shot-1-take1.mp4']);
    const [job] = jobsOf(out);
    const s = await gateway.describe(job.remote_task_id!);
    expect(s.status === 'completed' && s.result.worker).toBe(survivor.identity);
    // One job, one attempt, one ledger row, charged what the job records.
    expect(job.attempts).toBe(1);
    const db = new Database(path.join(home, 'settings.sqlite'), { readonly: true });
    const ledger = db.prepare("SELECT state, actual_usd FROM ledger WHERE provider = 'farm' AND job_id = ? AND project = (SELECT project FROM ledger WHERE provider = 'farm' ORDER BY id DESC LIMIT 1)").all(job.id) as { state: string; actual_usd: number }[];
    db.close();
    expect(ledger).toEqual([{ state: 'charged', actual_usd: job.actual_usd }]);
    // A new machine takes the dead one's place for the next tests.
    await victim.stop();
    workers = [survivor, await startWorker({ address: server.address, taskQueue, storage })];
  }, 300_000);

  it('a shot canceled from the desktop stops on its worker at the next step', async () => {
    const dir = csv([longShot(1)]);
    const sb = await importStoryboard(path.join(dir, 'sb.csv'));
    const reg = new ProviderRegistry([createFarmProvider({ ...env })]);
    const plan = planStoryboard(sb.shots, reg, { provider: 'farm' });
    const out = tmpDir('ltx-farm-out-');
    const store = new ProjectStore(out);
    store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! })), () => false);
    let canceled = false;
    const runner: QueueRunner = new QueueRunner(store, reg, {
      outDir: out,
      pollIntervalMs: 200,
      onEvent: (e) => {
        if (!canceled && e.type === 'job' && e.job.state === 'running' && e.job.remoteTaskId && e.job.progress > 0) {
          canceled = true;
          expect(runner.cancel(e.job.id)).toBe(true);
        }
      },
    });
    const summary = await runner.run();
    expect(summary).toMatchObject({ canceled: 1, succeeded: 0 });
    const [job] = store.jobs();
    expect(store.events(job.id).at(-1)!.message).toMatch(/farm asked to stop task ltx-batch-/);
    // The workflow ends canceled (a step, a video decode, can take many seconds on a loaded 2-core machine: no timing asserted).
    await until('the workflow to end canceled', async () => (await gateway.describe(job.remoteTaskId!)).status === 'canceled', 120_000, 200);
    await until('a worker to log the cancel', () => workers.some((w) => w.out().includes('"farm_take_canceled"')), 30_000);
    expect(fs.existsSync(path.join(out, 'clips', 'shot-1-take1.mp4'))).toBe(false);
    store.close();
    await reg.get('farm')!.close?.();
  }, 180_000);

  it('the CLI SIGKILLed mid-batch and run again: every take finishes and none is started twice', async () => {
    const dir = csv(Array.from({ length: 4 }, (_, i) => `${i + 1},killed desktop ${i + 1},3,128x128,24,${i + 1}`));
    const out = tmpDir('ltx-farm-out-');
    const args = ['render', path.join(dir, 'sb.csv'), '--provider', 'farm', '--out', out, '--plain'];
    const first: ChildProcess = startCli(args, env);
    await until('a take submitted to the farm', () => jobsOf(out).some((j) => j.remote_task_id), 120_000, 50);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('close', r));
    const again = await runCli(args, env);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(again.stdout).toContain('4 succeeded');
    expect(again.stdout).not.toContain('may have been submitted twice');
    const uuid = projectUuid(out);
    const jobs = jobsOf(out);
    expect(jobs.map((j) => j.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    // Each job has exactly one workflow on the farm: none was started a second time.
    const ids = workflowIds(`ltx-batch-${uuid}-`);
    const perJob = new Map<string, number>();
    for (const id of ids) {
      const job = /-job-(\d+)-attempt-\d+$/.exec(id)![1];
      perJob.set(job, (perJob.get(job) ?? 0) + 1);
    }
    expect([...perJob.values()]).toEqual([1, 1, 1, 1]);
    expect(fs.readdirSync(path.join(out, 'clips')).filter((f) => f.endsWith('.mp4'))).toHaveLength(4);
  }, 300_000);

  it("a submit whose answer was lost is sent again and collects the workflow it started: no hold, no second render", async () => {
    // The network edge loses the answer: the workflow starts on the server, the desktop hears an error.
    const real = new TemporalGateway({ address: server.address, namespace: 'default', taskQueue });
    let lost = 0;
    const lossy: FarmGateway = {
      start: async (id, input) => {
        const r = await real.start(id, input);
        if (lost++ === 0) throw new Error('14 UNAVAILABLE: Connection dropped');
        return r;
      },
      describe: (id) => real.describe(id),
      cancel: (id) => real.cancel(id),
      pollers: () => real.pollers(),
      active: () => real.active(),
      close: () => real.close(),
    };
    const dir = csv(['1,the answer was lost,1,64x64,8,1']);
    const sb = await importStoryboard(path.join(dir, 'sb.csv'));
    const reg = new ProviderRegistry([createFarmProvider({ ...env }, { gateway: lossy })]);
    const plan = planStoryboard(sb.shots, reg, { provider: 'farm' });
    const out = tmpDir('ltx-farm-out-');
    const store = new ProjectStore(out);
    store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! })), () => false);
    const summary = await new QueueRunner(store, reg, { outDir: out, pollIntervalMs: 200, backoff: { baseMs: 100, maxMs: 500 } }).run();
    expect(summary).toMatchObject({ succeeded: 1, maybeDuplicate: 0 });
    const [job] = store.jobs();
    // Attempt 2 found attempt 1's workflow and collected it.
    expect(job.attempts).toBe(2);
    expect(job.remoteTaskId).toBe(`ltx-batch-${store.projectUuid()}-job-${job.id}-attempt-1`);
    expect(workflowIds(`ltx-batch-${store.projectUuid()}-`)).toEqual([job.remoteTaskId]);
    store.close();
    await real.close();
  }, 120_000);

  it('a desktop that crashed after its submit left (no task id stored) collects that workflow on the next run: no hold, no second render', async () => {
    const dir = csv(['1,crashed mid-submit,1,64x64,8,1']);
    const sb = await importStoryboard(path.join(dir, 'sb.csv'));
    const farm = createFarmProvider({ ...env });
    const reg = new ProviderRegistry([farm]);
    const plan = planStoryboard(sb.shots, reg, { provider: 'farm' });
    const out = tmpDir('ltx-farm-out-');
    let store = new ProjectStore(out);
    store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! })), () => false);
    // What a process killed between sending the submit and storing its answer leaves: the job
    // claimed and marked sent, no task id, and the workflow started on the farm.
    const [queued] = store.jobs();
    const { job } = await store.claimGrouped(queued.id);
    await store.markSubmitSent(job.id);
    const uuid = store.projectUuid();
    const sent = await farm.submit!(JSON.parse(job.request), { signal: new AbortController().signal, tmpDir: out, log: () => {}, beforeRequest: async () => {}, job: { project: uuid, id: job.id, attempt: job.attempts } });
    store.close();
    store = new ProjectStore(out);
    const summary = await new QueueRunner(store, reg, { outDir: out, pollIntervalMs: 200 }).run();
    expect(summary).toMatchObject({ succeeded: 1, maybeDuplicate: 0 });
    expect(store.job(job.id)!.remoteTaskId).toBe(sent.taskId);
    expect(store.events(job.id).map((e) => e.message).join('\n')).not.toContain('may have been submitted twice');
    expect(workflowIds(`ltx-batch-${uuid}-`)).toEqual([sent.taskId]);
    store.close();
    await farm.close?.();
  }, 120_000);

  it('the Temporal server restarted mid-batch: the batch completes', async () => {
    const dir = csv(Array.from({ length: 4 }, (_, i) => `${i + 1},server restart ${i + 1},3,128x128,24,${i + 1}`));
    const out = tmpDir('ltx-farm-out-');
    const cli = startCli(['render', path.join(dir, 'sb.csv'), '--provider', 'farm', '--out', out, '--plain'], env);
    let log = '';
    cli.stdout!.on('data', (d) => (log += d));
    cli.stderr!.on('data', (d) => (log += d));
    const done = new Promise<number | null>((r) => cli.on('close', (code) => r(code)));
    await until('a take submitted to the farm', () => jobsOf(out).some((j) => j.remote_task_id), 120_000, 50);
    await server.stop();
    await new Promise((r) => setTimeout(r, 1000));
    await server.start();
    expect(await done, log).toBe(0);
    expect(log).toContain('4 succeeded');
    expect(workers.every((w) => alive(w.pid))).toBe(true);
  }, 300_000);

  it('Settings > Render farm: the address saved in the app reaches the farm, which lists both workers; what the environment sets stays locked', async () => {
    const h = await startHarness({ env: { LTX_FARM_TASK_QUEUE: taskQueue, LTX_FARM_STORAGE: storage } });
    try {
      const page = h.page;
      await page.getByTestId('nav-settings').click();
      const panel = page.getByTestId('farm-panel');
      await expect.poll(() => panel.getByTestId('farm-state').textContent(), { timeout: 20_000 }).toBe('not set up');
      expect(await panel.getByTestId('farm-taskQueue').isDisabled()).toBe(true);
      await panel.getByTestId('farm-address').fill(server.address);
      await panel.getByRole('button', { name: 'Save farm settings' }).click();
      await expect.poll(() => panel.getByTestId('farm-state').textContent(), { timeout: 20_000 }).toBe('2 workers polling');
      const table = await panel.getByTestId('farm-workers').textContent();
      for (const w of workers) expect(table).toContain(w.identity);
      await panel.scrollIntoViewIfNeeded();
      await screenshot(page, 'settings-farm.png');
      // Saved in the settings database: the next start of the app uses it.
      const db = new Database(path.join(h.home, 'settings.sqlite'), { readonly: true });
      expect(JSON.parse((db.prepare("SELECT value FROM settings WHERE key = 'farm'").get() as { value: string }).value)).toEqual({ LTX_FARM_ADDRESS: server.address });
      db.close();
      expect(h.pageErrors).toEqual([]);
    } finally {
      await h.close();
    }
  }, 120_000);

  it('S3-compatible storage: the desktop uploads inputs and presigns URLs, workers need no credentials', async () => {
    const port = await freePort();
    const moto: ChildProcess = spawn(path.join(VENV, 'bin', 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    try {
      const endpoint = `http://127.0.0.1:${port}`;
      const creds = { AWS_ACCESS_KEY_ID: 'farm-test', AWS_SECRET_ACCESS_KEY: 'farm-test-secret', AWS_REGION: 'us-east-1' };
      const s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: creds.AWS_ACCESS_KEY_ID, secretAccessKey: creds.AWS_SECRET_ACCESS_KEY } });
      await until('moto to answer', () => s3.send(new CreateBucketCommand({ Bucket: 'farm-bucket' })).then(() => true, () => false), 30_000, 200);
      const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution,fps,mode,image\n1,from a start image,1,64x64,8,image-to-video,start.png\n2,plain text,1,64x64,8,,\n' });
      execFileSync(ffmpegPath(), ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=blue:s=64x64', '-frames:v', '1', path.join(dir, 'start.png')]);
      const out = tmpDir('ltx-farm-out-');
      const r = await runCli(['render', path.join(dir, 'sb.csv'), '--provider', 'farm', '--out', out, '--plain'], { ...env, ...creds, LTX_FARM_STORAGE: 's3://farm-bucket/takes', LTX_FARM_S3_ENDPOINT: endpoint });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toContain('2 succeeded');
      const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: 'farm-bucket' }))).Contents ?? []).map((o) => o.Key!);
      expect(keys.filter((k) => /^takes\/inputs\/[0-9a-f]{64}\.png$/.test(k))).toHaveLength(1);
      expect(keys.filter((k) => k.startsWith('takes/results/') && k.endsWith('.mp4'))).toHaveLength(2);
      expect((await probe(path.join(out, 'clips', 'shot-1-take1.mp4'))).video).toMatchObject({ width: 64, height: 64, frames: 8 });
      // Workers were started with a shared folder only: nothing S3 reached their environment.
      for (const w of workers) expect(w.out()).not.toContain('farm-test-secret');
      s3.destroy();
    } finally {
      moto.kill('SIGTERM');
      await new Promise((r) => (moto.exitCode !== null ? r(null) : moto.once('exit', r)));
    }
  }, 180_000);
});
