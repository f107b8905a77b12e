/**
 * A retry (a new take) asked for while a render is past its last look at the queue (stitching the
 * film) is not lost: the session runs the queue again once the render ends.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import { ProjectSession } from '../../main/project/session';
import type { RunSummary } from '../../main/queue/runner';
import { tmpDir, withFiles } from '../helpers/tmp';

describe('ProjectSession', () => {
  it('a new take asked for while the film is being stitched is rendered by a run right after', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': 'shot,prompt,duration,resolution\n1,a harbour at dawn,0.5,64x36\n2,gulls,0.5,64x36' }), 'sb.csv'));
    const plan = planStoryboard(sb.shots, reg);
    const session = ProjectSession.open(tmpDir('ltx-session-'), { registry: reg });
    let retry: Promise<RunSummary> | null | undefined;
    await session.render(sb, plan, {
      onStitchProgress: () => {
        if (retry !== undefined) return;
        session.rerender(session.store.latestJobs()[0]!.shotId);
        retry = session.kick();
      },
    });
    expect(retry).toBeTruthy();
    await retry;
    const takes = session.store.jobs().filter((j) => j.shotKey === '1');
    expect(takes.map((j) => [j.take, j.state])).toEqual([
      [1, 'succeeded'],
      [2, 'succeeded'],
    ]);
    session.close();
  });

  it('after stop() (the app quitting) a re-run asked for during the run does not start', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': 'shot,prompt,duration,resolution\n1,a harbour at dawn,0.5,64x36' }), 'sb.csv'));
    const plan = planStoryboard(sb.shots, reg);
    const session = ProjectSession.open(tmpDir('ltx-session-'), { registry: reg });
    let pending: Promise<RunSummary> | null | undefined;
    await session.render(sb, plan, {
      onStitchProgress: () => {
        if (pending !== undefined) return;
        session.rerender(session.store.latestJobs()[0]!.shotId);
        pending = session.kick();
        session.stop('the app is quitting');
      },
    });
    await pending;
    await session.idle();
    expect(session.store.jobs().map((j) => [j.take, j.state])).toEqual([
      [1, 'succeeded'],
      [2, 'queued'],
    ]);
    expect(session.kick()).toBeNull();
    session.close();
  });
});
