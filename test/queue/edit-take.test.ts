/**
 * Retake and extend in the queue: an edit of a finished take is the shot's next take, priced and
 * budget-checked before it is queued, chosen when it finishes (unless the creator chose by hand),
 * kept through a re-run of the storyboard, retried as the same edit, and never what a later New
 * take repeats. The preview provider makes the edits here (a card in place of the new seconds,
 * the rest of the take kept), so the pixels can be checked.
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
import { probe } from '../../main/media/ffprobe';
import { ffmpegPath } from '../../main/media/ffmpeg-path';
import { readTimeline } from '../../main/timeline/timeline';
import { withFiles } from '../helpers/tmp';

/** Mean luma of frame `n` of a clip (0-255). */
function lumaAt(file: string, seconds: number): number {
  const raw = execFileSync(ffmpegPath(), ['-v', 'error', '-ss', String(seconds), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-']);
  return raw.reduce((s, v) => s + v, 0) / raw.length;
}

async function project(rows: string[], reg: ProviderRegistry) {
  const dir = withFiles({ 'sb.csv': ['shot,prompt,duration,resolution,fps,image', ...rows].join('\n') });
  // A white still: the source take is bright, a dark preview card stands out.
  execFileSync(ffmpegPath(), ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=white:s=64x36', '-frames:v', '1', path.join(dir, 'white.png')]);
  const sb = await importStoryboard(path.join(dir, 'sb.csv'));
  const out = path.join(dir, 'out');
  const session = ProjectSession.open(out, { registry: reg });
  const first = await session.render(sb, planStoryboard(sb.shots, reg));
  expect(first.summary.succeeded).toBe(sb.shots.length);
  return { session, sb, out, dir };
}

describe('retake and extend', () => {
  it('a retake replaces only its section, an extension adds exactly its seconds; each is the next take, chosen, and the film follows', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const { session, sb, out } = await project(['1,a bright room,4,64x36,10,white.png'], reg);
    try {
      const take1 = session.store.jobs()[0];
      const plan = session.previewEdit(take1.id, { kind: 'retake', startS: 1, durationS: 2, mode: 'replace_audio_and_video' });
      expect(plan).toMatchObject({ provider: 'preview', lengthS: 4, usdMax: 0, overBudget: null });
      const retake = session.editTake(take1.id, { kind: 'retake', startS: 1, durationS: 2, mode: 'replace_audio_and_video', prompt: 'the lights go out' });
      expect(retake).toMatchObject({ take: 2, origin: 'new-take', fromJob: take1.id, edit: { kind: 'retake', startS: 1 } });
      await session.runQueue();
      const done = session.store.job(retake.id)!;
      expect(done).toMatchObject({ state: 'succeeded', chosen: true });
      const clip = path.join(out, done.output!);
      expect((await probe(clip)).video).toMatchObject({ frames: 40 });
      // Seconds 0-1 and 3-4 are the source take (a white still); 1-3 the card (dark).
      const src = path.join(out, take1.output!);
      expect(Math.abs(lumaAt(clip, 0.5) - lumaAt(src, 0.5))).toBeLessThan(4);
      expect(lumaAt(clip, 2)).toBeLessThan(lumaAt(src, 2) - 60);
      expect(Math.abs(lumaAt(clip, 3.5) - lumaAt(src, 3.5))).toBeLessThan(4);

      const ext = session.editTake(done.id, { kind: 'extend', seconds: 1.5, at: 'start' });
      await session.runQueue();
      const longer = session.store.job(ext.id)!;
      expect(longer).toMatchObject({ state: 'succeeded', chosen: true, take: 3 });
      const extClip = path.join(out, longer.output!);
      expect((await probe(extClip)).video).toMatchObject({ frames: 55 });
      expect(lumaAt(extClip, 0.5)).toBeLessThan(lumaAt(src, 0.5) - 60);
      expect(Math.abs(lumaAt(extClip, 2) - lumaAt(src, 0.5))).toBeLessThan(4);

      // An edit of a shot is not a continuation of it: the Timeline says nothing of continuity.
      expect(readTimeline(session.store)[0].continuity).toBeUndefined();

      // The film uses the chosen take: 5.5 s.
      const film = await session.exportFilm();
      expect(film.duration).toBeCloseTo(5.5, 1);

      // A re-run of the unchanged storyboard keeps every take and renders nothing.
      const again = await session.render(sb, planStoryboard(sb.shots, reg));
      expect(again.sync).toMatchObject({ queued: 0 });
      expect(session.store.shots()[0].chosenJobId).toBe(longer.id);
    } finally {
      session.close();
    }
  });

  it('an edit of a continued shot keeps its continuity: a new take of the parent offers to re-render it', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution,continue_from\n1,a door,1,64x36,\n2,it opens,2,64x36,previous\n' });
    const sb = await importStoryboard(path.join(dir, 'sb.csv'));
    const session = ProjectSession.open(path.join(dir, 'out'), { registry: reg });
    try {
      await session.render(sb, planStoryboard(sb.shots, reg));
      const child = session.store.jobs().find((j) => j.shotKey === '2')!;
      session.editTake(child.id, { kind: 'extend', seconds: 1, at: 'end' });
      await session.runQueue();
      expect(readTimeline(session.store)[1]).toMatchObject({ chosen: { take: 2, edit: { kind: 'extend' } } });
      expect(readTimeline(session.store)[1].continuity).toBeUndefined();
      session.rerender(session.store.jobs().find((j) => j.shotKey === '1')!.shotId);
      await session.runQueue();
      expect(readTimeline(session.store)[1].continuity).toEqual({ parent: '1', madeFromTake: 1, parentTake: 2 });
    } finally {
      session.close();
    }
  });

  it('refuses edits that cannot be made, naming the field; an edit over the render budget is not queued', async () => {
    const priced = (usd: number): Provider => ({ ...createPreviewProvider(), estimate: () => ({ unit: 'USD', min: usd, max: usd, usdPerUnit: 1, basis: 'test price' }), edit: (e, s) => {
      const r = createPreviewProvider().edit!(e, s);
      return r.ok ? { ...r, estimate: { unit: 'USD', min: usd, max: usd, usdPerUnit: 1, basis: 'test price' } } : r;
    } });
    const reg = new ProviderRegistry([priced(0.4)]);
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution\n1,a,3,64x36\n' });
    const sb = await importStoryboard(path.join(dir, 'sb.csv'));
    const session = ProjectSession.open(path.join(dir, 'out'), { registry: reg });
    try {
      await session.render(sb, planStoryboard(sb.shots, reg), { budgetUsd: 0.5 });
      const take1 = session.store.jobs()[0];
      expect(() => session.editTake(take1.id, { kind: 'retake', startS: 2, durationS: 2, mode: 'replace_video' })).toThrow(/duration: the take is 3 s long, so 2-4 s is only 1 s of it/);
      expect(() => session.editTake(take1.id, { kind: 'retake', startS: 5, durationS: 2, mode: 'replace_video' })).toThrow(/start: the take is 3 s long/);
      expect(() => session.editTake(take1.id, { kind: 'extend', seconds: 0, at: 'end' })).toThrow(/seconds: an extension adds more than 0 s/);
      expect(() => session.editTake(take1.id, { kind: 'extend', seconds: 2, at: 'end' })).toThrow(/would be held: over budget: render budget \$0\.50 \(\$0\.40 committed\)/);
      expect(session.store.jobs()).toHaveLength(1);
    } finally {
      session.close();
    }
  });

  it('a failed edit retries as the same edit; New take repeats the row, not the edit', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const { session, out } = await project(['1,a,3,64x36,10,white.png'], reg);
    try {
      const take1 = session.store.jobs()[0];
      const ext = session.editTake(take1.id, { kind: 'extend', seconds: 1, at: 'end' });
      // The clip the edit reads disappears before it renders: the take fails.
      const moved = path.join(out, 'moved.mp4');
      fs.renameSync(path.join(out, take1.output!), moved);
      await session.runQueue({ backoffBaseMs: 1 });
      expect(session.store.job(ext.id)!.state).toBe('failed');
      fs.renameSync(moved, path.join(out, take1.output!));
      const again = session.retry(ext.id);
      expect(again).toMatchObject({ edit: { kind: 'extend', seconds: 1 }, fromJob: take1.id, take: 3 });
      await session.runQueue();
      expect((await probe(path.join(out, session.store.job(again.id)!.output!))).duration).toBeCloseTo(4, 1);
      const fresh = session.rerender(take1.shotId);
      expect(fresh).toMatchObject({ edit: null, fromJob: null, take: 4 });
      expect(JSON.parse(fresh.request).route).toBe('ffmpeg animatic');
    } finally {
      session.close();
    }
  });
});
