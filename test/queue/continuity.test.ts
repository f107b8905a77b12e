/**
 * Continuity: a continue_from column chains shots; a continued shot starts from the last frame of
 * its parent's chosen take, waits for it ("waiting for shot 1"), and says why when the parent failed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import { ProviderError, type Provider } from '../../main/providers/provider';
import { ProjectSession } from '../../main/project/session';
import { ffmpegPath } from '../../main/media/ffmpeg-path';
import { readTimeline } from '../../main/timeline/timeline';
import { tmpDir, withFiles } from '../helpers/tmp';

const sbOf = (rows: string[]) => importStoryboard(path.join(withFiles({ 'sb.csv': ['shot,prompt,duration,resolution,seed,continue_from', ...rows].join('\n') }), 'sb.csv'));

/** RGB of the pixel at (x, y) of a frame: the first frame of a clip, or its last (an image file). */
function pixel(file: string, x: number, y: number, last = false): number[] {
  const args = last ? ['-sseof', '-1', '-i', file, '-update', '1'] : ['-i', file, '-frames:v', '1'];
  const out = path.join(tmpDir('ltx-px-'), 'p.rgb');
  execFileSync(ffmpegPath(), ['-v', 'error', '-y', ...args, '-vf', `format=rgb24,crop=1:1:${x}:${y}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', out]);
  return [...fs.readFileSync(out)];
}
const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) <= 12);

describe('continuity', () => {
  it('refuses unknown shots, a first shot continuing "previous", loops and an image beside continue_from, naming row and column', async () => {
    const sb = await sbOf(['1,a,0.4,64x36,1,previous', '2,b,0.4,64x36,2,9', '3,c,0.4,64x36,3,4', '4,d,0.4,64x36,4,3', '5,e,0.4,64x36,5,5']);
    expect(sb.issues.filter((i) => i.severity === 'error').map((i) => [i.row, i.column, i.message])).toEqual([
      [2, 'continue_from', 'continue_from is "previous", but this is the first shot of the film'],
      [3, 'continue_from', 'continue_from names shot "9", and no shot has that id'],
      [6, 'continue_from', 'shot 5 cannot continue from itself'],
      [4, 'continue_from', 'continue_from makes a loop: shot 3 continues from 4 continues from 3; one of them must start on its own'],
      [5, 'continue_from', 'continue_from makes a loop: shot 4 continues from 3 continues from 4; one of them must start on its own'],
    ]);
  });

  it('a provider that takes only public URLs cannot continue a shot: an estimate-time error naming the providers that can', async () => {
    const urlOnly: Provider = { ...createPreviewProvider(), id: 'urlonly', capabilities: () => ({ ...createPreviewProvider().capabilities(), mediaInputs: 'url-only' }) };
    const sb = await sbOf(['1,a,0.4,64x36,1,', '2,b,0.4,64x36,2,previous']);
    const plan = planStoryboard(sb.shots, new ProviderRegistry([createPreviewProvider(), urlOnly]), { provider: 'urlonly' });
    expect(plan.issues.map((i) => [i.row, i.column, i.message])).toEqual([
      [3, 'continue_from', 'urlonly takes images only as public URLs, so it cannot start from the last frame of shot 1 (a file on this computer); providers that can: preview'],
    ]);
  });

  it('a chain of three: each shot starts from the last frame of the one before (pixels compared), in order', async () => {
    const reg = new ProviderRegistry([createPreviewProvider({ concurrency: 3 })]);
    const sb = await sbOf(['1,a harbour,0.4,64x36,1,', '2,gulls,0.4,64x36,2,previous', '3,the pier,0.4,64x36,3,2']);
    expect(sb.shots.map((s) => [s.mode, s.continueFrom])).toEqual([['text-to-video', undefined], ['image-to-video', '1'], ['image-to-video', '2']]);
    const dir = tmpDir('ltx-cont-');
    const session = ProjectSession.open(dir, { registry: reg });
    const r = await session.render(sb, planStoryboard(sb.shots, reg));
    expect(r.summary).toMatchObject({ succeeded: 3, failed: 0 });
    const [j1, j2, j3] = session.store.jobs();
    // Each child was claimed only after its parent finished.
    expect(j2.submittedAt!).toBeGreaterThanOrEqual(j1.finishedAt!);
    expect(j3.submittedAt!).toBeGreaterThanOrEqual(j2.finishedAt!);
    expect(j2.notes).toContain('starts from the last frame of shot 1 take 1');
    expect(j3.notes).toContain('starts from the last frame of shot 2 take 1');
    // The start frame is the parent's last frame, and the child's first frame shows it (a corner
    // the title card does not cover; the cards differ in colour by seed).
    for (const [parent, child] of [[j1, j2], [j2, j3]]) {
      const last = pixel(path.join(dir, parent.output!), 1, 1, true);
      expect(near(pixel(path.join(dir, 'frames', `${child.shotKey}-start.png`), 1, 1), last)).toBe(true);
      expect(near(pixel(path.join(dir, child.output!), 1, 1), last)).toBe(true);
    }
    // A new take of shot 1 becomes its chosen take: shot 2 is not re-rendered by itself, the
    // timeline says it starts from take 1 and offers it; re-rendered, shot 3 is the one to offer.
    session.rerender(j1.shotId);
    await session.kick();
    expect(session.store.jobs()).toHaveLength(4);
    const tl = () => readTimeline(session.store).map((t) => [t.shotKey, t.continuity ?? null]);
    expect(tl()).toEqual([['1', null], ['2', { parent: '1', madeFromTake: 1, parentTake: 2 }], ['3', null]]);
    session.rerender(j2.shotId);
    await session.kick();
    const t2 = session.store.jobs().filter((j) => j.shotKey === '2').at(-1)!;
    expect(t2.notes).toContain('starts from the last frame of shot 1 take 2');
    expect(tl()).toEqual([['1', null], ['2', null], ['3', { parent: '2', madeFromTake: 1, parentTake: 2 }]]);
    session.close();
  });

  it('a failed parent holds its children with the reason; once it succeeds they render', async () => {
    const preview = createPreviewProvider();
    let failFirst = true;
    const flaky: Provider = {
      ...preview,
      async render(req, dest, ctx) {
        if ((req.body as { shotId: string }).shotId === '1' && failFirst) {
          failFirst = false;
          throw new ProviderError('invalid', 'the service refused the prompt');
        }
        return preview.render!(req, dest, ctx);
      },
    };
    const reg = new ProviderRegistry([flaky]);
    const sb = await sbOf(['1,a harbour,0.4,64x36,1,', '2,gulls,0.4,64x36,2,previous', '3,rain,0.4,64x36,3,']);
    const session = ProjectSession.open(tmpDir('ltx-cont-'), { registry: reg });
    const r = await session.render(sb, planStoryboard(sb.shots, reg));
    expect(r.summary.failed).toBe(1);
    expect(r.summary.succeeded).toBe(1);
    expect(r.summary.waiting).toEqual({ 'waiting for shot 1, which failed: the service refused the prompt': 1 });
    // A rough cut: shot 3 with the failed shot and the one waiting on it as placeholder cards.
    expect(r.filmSkipped).toBeUndefined();
    expect(r.placeholders).toEqual(['1', '2']);
    session.retry(session.store.jobs()[0].id);
    const again = await session.kick()!;
    expect(again).toMatchObject({ succeeded: 3, failed: 0, waiting: {} });
    session.close();
  });

  it("a parent's takes: the child waits for take 1 (the film's take) even when take 2 finishes first", async () => {
    const preview = createPreviewProvider({ concurrency: 3 });
    const slowTake1: Provider = {
      ...preview,
      async render(req, dest, ctx) {
        const body = req.body as { shotId: string; seed?: number };
        if (body.shotId === '1' && body.seed === 10) await new Promise((r) => setTimeout(r, 600));
        return preview.render!(req, dest, ctx);
      },
    };
    const reg = new ProviderRegistry([slowTake1]);
    const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': 'shot,prompt,duration,resolution,seed,takes,continue_from\n1,a harbour,0.4,64x36,10,2,\n2,gulls,0.4,64x36,20,,previous' }), 'sb.csv'));
    const session = ProjectSession.open(tmpDir('ltx-cont-'), { registry: reg });
    await session.render(sb, planStoryboard(sb.shots, reg));
    const [t1, t2, child] = session.store.jobs();
    expect([t1.seed, t2.seed, t1.chosen]).toEqual([10, 11, true]);
    expect(t2.finishedAt!).toBeLessThan(t1.finishedAt!);
    expect(child.submittedAt!).toBeGreaterThanOrEqual(t1.finishedAt!);
    expect(child.notes).toContain('starts from the last frame of shot 1 take 1');
    session.close();
  });
});
