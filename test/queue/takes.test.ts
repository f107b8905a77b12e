/**
 * Takes: a row's `takes` (or --takes) renders that many variants in one batch, take k with seed
 * seed + k - 1 (a random seed, recorded, for seed -1); estimates and budgets count every take; the
 * chosen take is what the film uses and finishing another take never swaps it silently.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import type { Provider } from '../../main/providers/provider';
import { ProjectSession } from '../../main/project/session';
import { ProjectStore, specHash } from '../../main/queue/store';
import { MIGRATIONS } from '../../main/queue/migrations';
import { openDatabase } from '../../main/queue/db';
import { readTimeline, updateTimeline } from '../../main/timeline/timeline';
import { ffmpegPath } from '../../main/media/ffmpeg-path';
import { tmpDir, withFiles } from '../helpers/tmp';

const HEADER = 'shot,prompt,duration,resolution,seed,takes';

async function storyboard(rows: string[], name = 'sb.csv', dir = withFiles({})) {
  fs.writeFileSync(path.join(dir, name), [HEADER, ...rows].join('\n'));
  return importStoryboard(path.join(dir, name));
}

/** The RGB of the pixel at (2, 2) of the clip's first frame. */
function cornerColour(file: string): number[] {
  const raw = execFileSync(ffmpegPath(), ['-v', 'error', '-i', file, '-frames:v', '1', '-vf', 'format=rgb24,crop=1:1:2:2', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  return [...raw];
}

/** The preview provider, priced at `usd` a take (to see budgets count every take). */
function pricedPreview(usd: number): Provider {
  const p = createPreviewProvider();
  return { ...p, estimate: () => ({ unit: 'USD', min: usd, max: usd, usdPerUnit: 1, basis: 'test price' }) };
}

describe('takes', () => {
  it('reads the takes column and refuses counts it cannot render, naming the row and column', async () => {
    const sb = await storyboard(['1,a,0.4,64x36,7,3', '2,b,0.4,64x36,7,', '3,c,0.4,64x36,7,0', '4,d,0.4,64x36,7,2.5', '5,e,0.4,64x36,7,11']);
    expect(sb.shots.slice(0, 2).map((s) => s.takes)).toEqual([3, undefined]);
    const errors = sb.issues.filter((i) => i.severity === 'error');
    expect(errors.map((e) => [e.row, e.column])).toEqual([
      [4, 'takes'],
      [5, 'takes'],
      [6, 'takes'],
    ]);
    expect(errors[0].message).toMatch(/from 1 to 10/);
  });

  it('estimates every take: the row, the totals and the budget count them', async () => {
    const reg = new ProviderRegistry([pricedPreview(0.5)]);
    const sb = await storyboard(['1,a,0.4,64x36,7,3', '2,b,0.4,64x36,7,']);
    const plan = planStoryboard(sb.shots, reg, { provider: 'preview', takes: 2, budgetUsd: 2 });
    expect(plan.rows.map((r) => [r.takes, r.usdMax])).toEqual([
      [3, 1.5],
      [2, 1],
    ]);
    expect(plan.totals.preview).toMatchObject({ shots: 2, takes: 5, usdMax: 2.5 });
    expect(plan.totalUsd).toBe(2.5);
    // Row 1's three takes fit the $2 budget; row 2's two more would pass it.
    expect(plan.rows.map((r) => r.heldBack ?? null)).toEqual([null, 'over budget: render budget $2.00']);
  });

  it("refuses takes whose last seed the provider does not take, naming the seed column", async () => {
    const limited: Provider = {
      ...createPreviewProvider(),
      validate: (shot) => (shot.seed > 100 ? { ok: false, issues: [{ column: 'seed', message: 'seeds go up to 100' }] } : createPreviewProvider().validate(shot)),
    };
    const sb = await storyboard(['1,a,0.4,64x36,100,2', '2,b,0.4,64x36,98,3']);
    const plan = planStoryboard(sb.shots, new ProviderRegistry([limited]), { provider: 'preview' });
    expect(plan.issues).toHaveLength(1);
    expect(plan.issues[0]).toMatchObject({ row: 2, column: 'seed' });
    expect(plan.issues[0].message).toBe('preview: take 2 would use seed 101: seeds go up to 100');
  });

  it('renders N takes with seeds seed..seed+N-1, takes look different, take 1 is chosen, and a re-run pays for nothing again', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const sbDir = withFiles({});
    const sb = await storyboard(['1,a harbour,0.4,64x36,7,3', '2,gulls,0.4,64x36,40,'], 'sb.csv', sbDir);
    const dir = tmpDir('ltx-takes-');
    const session = ProjectSession.open(dir, { registry: reg });
    const first = await session.render(sb, planStoryboard(sb.shots, reg));
    expect(first.sync).toEqual({ queued: 4, kept: 0, resumed: 0, removed: 0 });
    const jobs = session.store.jobs();
    expect(jobs.map((j) => [j.shotKey, j.take, j.variant, j.seed, j.state, j.origin])).toEqual([
      ['1', 1, 1, 7, 'succeeded', 'storyboard'],
      ['1', 2, 2, 8, 'succeeded', 'storyboard'],
      ['1', 3, 3, 9, 'succeeded', 'storyboard'],
      ['2', 1, 1, 40, 'succeeded', 'storyboard'],
    ]);
    // Each take was sent its own seed, and the three clips differ.
    expect(jobs.slice(0, 3).map((j) => (JSON.parse(j.request) as { body: { seed: number } }).body.seed)).toEqual([7, 8, 9]);
    const colours = jobs.slice(0, 3).map((j) => cornerColour(path.join(dir, j.output!)).join(','));
    expect(new Set(colours).size).toBe(3);
    // Take 1 is the chosen take (whichever finished first), and the film was stitched from it.
    const tl = readTimeline(session.store);
    expect(tl.map((t) => [t.shotKey, t.chosen?.take, t.takes.length])).toEqual([
      ['1', 1, 3],
      ['2', 1, 1],
    ]);
    expect(first.film).toBeTruthy();
    // The same storyboard again: every take kept, nothing queued.
    const again = await session.render(sb, planStoryboard(sb.shots, reg));
    expect(again.sync).toEqual({ queued: 0, kept: 4, resumed: 0, removed: 0 });
    // --takes 2 for rows without a takes cell: shot 2 gets one more take (seed 41); shot 1 keeps its 3.
    const more = await session.render(sb, planStoryboard(sb.shots, reg, { takes: 2 }));
    expect(more.sync).toEqual({ queued: 1, kept: 4, resumed: 0, removed: 0 });
    expect(session.store.jobs().filter((j) => j.shotKey === '2').map((j) => [j.take, j.seed])).toEqual([
      [1, 40],
      [2, 41],
    ]);
    // Fewer takes: nothing is re-rendered and no paid take is deleted.
    const sb1 = await storyboard(['1,a harbour,0.4,64x36,7,1', '2,gulls,0.4,64x36,40,'], 'sb.csv', sbDir);
    const fewer = await session.render(sb1, planStoryboard(sb1.shots, reg));
    expect(fewer.sync.queued).toBe(0);
    expect(session.store.jobs().filter((j) => j.state === 'succeeded')).toHaveLength(5);
    for (const j of session.store.jobs()) expect(fs.existsSync(path.join(dir, j.output!))).toBe(true);
    session.close();
  });

  it('take 1 is the chosen take even when take 3 finishes first; a changed row\'s take replaces a choice of the old row', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const sb = await storyboard(['1,rain,0.4,64x36,5,3']);
    const plan = planStoryboard(sb.shots, reg);
    const dir = tmpDir('ltx-takes-');
    const store = new ProjectStore(dir);
    const planned = (p: typeof plan) => p.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate!, takes: r.takes, requestFor: (seed: number | null) => {
        const v = createPreviewProvider().validate({ ...r.shot, seed: seed ?? r.shot.seed });
        if (!v.ok) throw new Error('the preview refused the seed');
        return v.request;
      } }));
    store.syncStoryboard(sb.file, sb.hash, planned(plan), () => true);
    const finish = async (id: number) => {
      store.transition(id, 'queued', 'submitting');
      store.transition(id, 'submitting', 'downloading');
      const job = store.job(id)!;
      await store.recordClipGrouped(job, { output: `clips/${id}.mp4`, finished_at: 1 }, 'done');
    };
    const [t1, t2, t3] = store.jobs();
    await finish(t3.id);
    expect(store.shots()[0].chosenJobId).toBe(t3.id);
    await finish(t1.id);
    expect(store.shots()[0].chosenJobId).toBe(t1.id);
    await finish(t2.id);
    expect(store.shots()[0].chosenJobId).toBe(t1.id);
    // The creator circles take 3; then the row's prompt changes and its new take 1 finishes: the
    // shot is another shot now, so its take replaces the old choice.
    store.chooseTake(t3.shotId, t3.id);
    const changed = await storyboard(['1,heavy rain,0.4,64x36,5,1']);
    store.syncStoryboard(changed.file, changed.hash, planned(planStoryboard(changed.shots, reg)), () => true);
    const fresh = store.jobs().at(-1)!;
    expect([fresh.take, fresh.seed]).toEqual([4, 5]);
    await finish(fresh.id);
    expect(store.shots()[0].chosenJobId).toBe(fresh.id);
    store.close();
  });

  it('a provider without seeds renders N takes of the same request, records no seed, and a re-run keeps them', async () => {
    const preview = createPreviewProvider();
    const seedless: Provider = { ...preview, capabilities: () => ({ ...preview.capabilities(), seeds: false }) };
    const reg = new ProviderRegistry([seedless]);
    const sb = await storyboard(['1,rain,0.4,64x36,-1,2']);
    const session = ProjectSession.open(tmpDir('ltx-takes-'), { registry: reg });
    const first = await session.render(sb, planStoryboard(sb.shots, reg));
    expect(first.sync.queued).toBe(2);
    expect(session.store.jobs().map((j) => [j.take, j.variant, j.seed, j.state])).toEqual([
      [1, 1, null, 'succeeded'],
      [2, 2, null, 'succeeded'],
    ]);
    const again = await session.render(sb, planStoryboard(sb.shots, reg));
    expect(again.sync).toMatchObject({ queued: 0, kept: 2 });
    const t3 = session.rerender(session.store.jobs()[0].shotId);
    expect([t3.take, t3.seed, t3.variant]).toEqual([3, null, null]);
    session.close();
  });

  it('a row with seed -1 gets one random seed, recorded, that its takes count from and a re-run keeps', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const sb = await storyboard(['1,fog,0.4,64x36,-1,2']);
    const session = ProjectSession.open(tmpDir('ltx-takes-'), { registry: reg });
    await session.render(sb, planStoryboard(sb.shots, reg));
    const seeds = session.store.jobs().map((j) => j.seed!);
    expect(seeds[0]).toBeGreaterThanOrEqual(1);
    expect(seeds).toEqual([seeds[0], seeds[0] + 1]);
    const again = await session.render(sb, planStoryboard(sb.shots, reg));
    expect(again.sync).toMatchObject({ queued: 0, kept: 2 });
    session.close();
  });

  it('New take uses the next unused seed (or a pinned one) and becomes the chosen take, unless the creator chose by hand', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const sb = await storyboard(['1,rain,0.4,64x36,5,2']);
    const session = ProjectSession.open(tmpDir('ltx-takes-'), { registry: reg });
    await session.render(sb, planStoryboard(sb.shots, reg));
    const shotId = session.store.jobs()[0].shotId;
    const t3 = session.rerender(shotId);
    expect([t3.take, t3.seed, t3.origin]).toEqual([3, 7, 'new-take']);
    expect((JSON.parse(t3.request) as { body: { seed: number } }).body.seed).toBe(7);
    await session.kick();
    expect(readTimeline(session.store)[0].chosen?.take).toBe(3);
    // The creator circles take 2; a pinned-seed new take finishes and the choice stays.
    const take2 = session.store.jobs().find((j) => j.take === 2)!;
    updateTimeline(session.store, [shotId], { [shotId]: take2.id }, []);
    const t4 = session.rerender(shotId, 1234);
    expect([t4.take, t4.seed]).toEqual([4, 1234]);
    await session.kick();
    expect(session.store.job(t4.id)!.state).toBe('succeeded');
    expect(readTimeline(session.store)[0].chosen?.take).toBe(2);
    session.close();
  });

  it('a row budget covers every take of the row: the take that would pass it waits', async () => {
    const reg = new ProviderRegistry([pricedPreview(0.4)]);
    const dir = withFiles({});
    fs.writeFileSync(path.join(dir, 'sb.csv'), 'shot,prompt,duration,resolution,seed,takes,budget\n1,waves,0.4,64x36,3,3,1.00');
    const sb = await importStoryboard(path.join(dir, 'sb.csv'));
    const plan = planStoryboard(sb.shots, reg, { provider: 'preview' });
    expect(plan.rows[0].heldBack).toBe('over budget: row budget $1.00');
    const session = ProjectSession.open(tmpDir('ltx-takes-'), { registry: reg });
    const r = await session.render(sb, plan, { provider: 'preview' });
    expect(session.store.jobs().map((j) => j.state)).toEqual(['succeeded', 'succeeded', 'queued']);
    expect(session.store.jobs()[2].holdReason).toMatch(/^over budget: row budget \$1\.00 \(\$0\.80 committed to this row's other takes\)/);
    expect(r.summary.waiting).toEqual({ "over budget: row budget $1.00 ($0.80 committed to this row's other takes)": 1 });
    session.close();
  });

  it('a project from before takes (database version 7) keeps its clips: nothing is rendered again', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const sb = await storyboard(['1,dunes,0.4,64x36,-1,', '2,camels,0.4,64x36,12,']);
    const plan = planStoryboard(sb.shots, reg);
    const dir = tmpDir('ltx-takes-');
    // What version 7 wrote for two finished shots (no seeds recorded, no takes column).
    const db = openDatabase(path.join(dir, 'project.sqlite'), MIGRATIONS.slice(0, 7));
    fs.mkdirSync(path.join(dir, 'clips'));
    plan.rows.forEach((r, i) => {
      const shotId = Number(db.prepare(`INSERT INTO shots (shot_key, ord, row, spec, spec_hash, provider, updated_at) VALUES (?, ?, ?, ?, ?, 'preview', 0)`).run(r.shot.id, i, i + 2, JSON.stringify(r.shot), specHash(r.shot, 'preview', r.request)).lastInsertRowid);
      fs.writeFileSync(path.join(dir, 'clips', `${r.shot.id}.mp4`), 'paid clip');
      const jobId = Number(
        db.prepare(`INSERT INTO jobs (shot_id, take, provider, spec_hash, request, state, output, created_at, updated_at) VALUES (?, 1, 'preview', ?, ?, 'succeeded', ?, 0, 0)`).run(shotId, specHash(r.shot, 'preview', r.request), JSON.stringify(r.request), `clips/${r.shot.id}.mp4`).lastInsertRowid,
      );
      db.prepare('UPDATE shots SET chosen_job_id = ? WHERE id = ?').run(jobId, shotId);
    });
    db.close();
    const store = new ProjectStore(dir);
    const sync = store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate!, takes: r.takes, requestFor: () => r.request! })), (rel) => fs.existsSync(path.join(dir, rel)));
    expect(sync).toEqual({ queued: 0, kept: 2, resumed: 0, removed: 0 });
    expect(store.jobs().map((j) => [j.take, j.seed, j.variant, j.origin])).toEqual([
      [1, null, null, 'storyboard'],
      [1, null, null, 'storyboard'],
    ]);
    // Asking for 2 takes now adds take 2 only (the old take counts as take 1).
    const two = store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate!, takes: 2, requestFor: () => r.request! })), (rel) => fs.existsSync(path.join(dir, rel)));
    expect(two).toEqual({ queued: 2, kept: 2, resumed: 0, removed: 0 });
    expect(store.jobs().filter((j) => j.state === 'queued').map((j) => [j.shotKey, j.take, j.variant])).toEqual([
      ['1', 2, 2],
      ['2', 2, 2],
    ]);
    store.close();
  });
});
