/**
 * Editor exports read back with OpenTimelineIO (test/editor/read_cut.py in the test-only venv that
 * scripts/otio-venv.sh makes, with the FCP7 XML, CMX3600 and FCPXML adapters): the same cut as the
 * film, to the frame, at 25, 24 and 30000/1001 fps. Clips in film order with the chosen take, each
 * clip's source and record range, media that resolve, crossfades where the timeline has them
 * (each at its own length), and a total equal to film.mp4's frame count (within one frame).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { create } from 'xmlbuilder2';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import { ProjectSession } from '../../main/project/session';
import { readTimeline, updateTimeline } from '../../main/timeline/timeline';
import { exportForEditor, type EditorFormat } from '../../main/timeline/export/export-editor';
import { probe } from '../../main/media/ffprobe';
import { ROOT, withFiles } from '../helpers/tmp';
import { runCli } from '../helpers/cli';

const VENV = process.env.OTIO_VENV ?? path.join(ROOT, '.cache', 'otio-venv');
const READER = path.join(ROOT, 'test', 'editor', 'read_cut.py');

interface ReadItem {
  type: 'clip' | 'gap' | 'transition';
  name?: string;
  url?: string | null;
  source_start?: number;
  source_duration?: number;
  record_start?: number;
  duration?: number;
  in?: number;
  out?: number;
  metadata?: unknown;
}
interface ReadCut {
  rate: number;
  duration: number;
  tracks: { kind: string; items: ReadItem[] }[];
}

/** The export as OpenTimelineIO reads it. */
function readBack(file: string, adapter: string, fps?: number): ReadCut {
  expect(fs.existsSync(path.join(VENV, 'bin', 'python')), `the OpenTimelineIO venv is missing at ${VENV}: run bash scripts/otio-venv.sh`).toBe(true);
  const out = execFileSync(path.join(VENV, 'bin', 'python'), [READER, file, adapter, ...(fps ? [String(fps)] : [])], { encoding: 'utf8' });
  return JSON.parse(out) as ReadCut;
}

const clipsOf = (t: { items: ReadItem[] }) => t.items.filter((i) => i.type === 'clip');

/** Every element of an XML file in document order: its name, its parent's name, its attributes and text. */
function xmlElements(file: string): { name: string; parent: string; attrs: Record<string, string>; text: string }[] {
  const out: { name: string; parent: string; attrs: Record<string, string>; text: string }[] = [];
  create(fs.readFileSync(file, 'utf8'))
    .root()
    .each(
      (n) => {
        const e = n.node as unknown as Element;
        if (e.nodeType !== 1) return;
        const attrs: Record<string, string> = {};
        for (const a of Array.from(e.attributes)) attrs[a.name] = a.value;
        out.push({ name: e.nodeName, parent: e.parentNode?.nodeName ?? '', attrs, text: e.textContent ?? '' });
      },
      true,
      true,
    );
  return out;
}

/** A four-shot project at `fps`: shot 2 in two takes (take 2 chosen), a 0.5 s crossfade after shot 1 and a 0.2 s one after shot 3. */
async function project(fps: string) {
  const dir = withFiles({ 'sb.csv': ['shot,prompt,duration,resolution,fps,takes,seed', `1,a harbour at dawn,2,64x36,${fps},,1`, `2,"gulls & ""terns""",1.5,64x36,${fps},2,5`, `3,the keeper <climbs>,3,64x36,${fps},,9`, `4,the lamp,1,64x36,${fps},,13`].join('\n') });
  const reg = new ProviderRegistry([createPreviewProvider()]);
  const sb = await importStoryboard(path.join(dir, 'sb.csv'));
  const out = path.join(dir, 'out');
  const session = ProjectSession.open(out, { registry: reg });
  const r = await session.render(sb, planStoryboard(sb.shots, reg));
  expect(r.summary.succeeded).toBe(5);
  const tl = readTimeline(session.store);
  const take2 = tl[1].takes.find((t) => t.take === 2)!;
  updateTimeline(session.store, tl.map((t) => t.shotId), { [tl[1].shotId]: take2.id }, ['crossfade', 'cut', 'crossfade'], [null, null, 0.2]);
  const film = await session.exportFilm();
  const frames = await Promise.all(readTimeline(session.store).map(async (t) => (await probe(path.join(out, t.chosen!.output!))).video!.frames!));
  const filmVideo = (await probe(film.file)).video!;
  const clipFps = (await probe(path.join(out, readTimeline(session.store)[0].chosen!.output!))).video!.fps;
  return { session, out, frames, filmFrames: filmVideo.frames!, filmFps: filmVideo.fps, clipFps, dir };
}

/** What every reader must find: each clip's shown frames and where the dissolves are, centred on the cut (FCP7 XML, OTIO, FCPXML). */
function expected(frames: number[], fpsNum: number) {
  const x1 = Math.round(Math.min(0.5, frames[0] / fpsNum / 3, frames[1] / fpsNum / 3) * fpsNum);
  const x3 = Math.round(Math.min(0.2, frames[2] / fpsNum / 3, frames[3] / fpsNum / 3) * fpsNum);
  const h = (x: number) => Math.floor(x / 2);
  const t = (x: number) => x - Math.floor(x / 2);
  const ranges = [
    { start: 0, duration: frames[0] - t(x1) },
    { start: h(x1), duration: frames[1] - h(x1) },
    { start: 0, duration: frames[2] - t(x3) },
    { start: h(x3), duration: frames[3] - h(x3) },
  ];
  let rec = 0;
  const records = ranges.map((r) => ((rec += r.duration), rec - r.duration));
  return { x1, x3, ranges, records, total: rec };
}

const NAMES = ['shot-1-take1.mp4', 'shot-2-take2.mp4', 'shot-3-take1.mp4', 'shot-4-take1.mp4'];

describe.each([
  { fps: '25', num: 25 },
  { fps: '24', num: 24 },
  { fps: '29.97', num: 30000 / 1001 },
])('editor exports at $fps fps', ({ fps, num }) => {
  it('OTIO, FCP7 XML, EDL and FCPXML read back as the film: order, takes, ranges, media, crossfades, length', async () => {
    const { session, out, frames, filmFrames, filmFps, clipFps } = await project(fps);
    try {
      // "29.97" is the NTSC rate 30000/1001 in the clips and the film, not 2997/100.
      expect(clipFps).toBeCloseTo(num, 9);
      expect(filmFps).toBeCloseTo(num, 9);
      const exp = expected(frames, num);
      expect(Math.abs(exp.total - filmFrames)).toBeLessThanOrEqual(1);
      const files: Record<EditorFormat, string> = { otio: '', fcpxml: '', xml: '', edl: '' };
      for (const f of Object.keys(files) as EditorFormat[]) {
        const r = await exportForEditor(session.store, { format: f });
        expect(r).toMatchObject({ clips: 4, transitions: 2, rate: fps === '29.97' ? '30000/1001' : `${fps}/1` });
        files[f] = r.file;
        expect(r.file).toBe(path.join(out, 'exports', `film.${f === 'xml' ? 'xml' : f}`));
      }
      for (const f of [files.fcpxml, files.xml]) execFileSync('xmllint', ['--noout', f]);

      // OpenTimelineIO JSON and FCP7 XML: the centred model exactly, video and audio.
      for (const [file, adapter] of [[files.otio, 'otio_json'], [files.xml, 'fcp_xml']] as const) {
        const cut = readBack(file, adapter);
        expect(cut.rate).toBeCloseTo(num, 3);
        expect(cut.duration, adapter).toBe(exp.total);
        expect(cut.tracks.map((t) => t.kind)).toEqual(['Video', 'Audio']);
        for (const track of cut.tracks) {
          const clips = clipsOf(track);
          expect(clips.map((c) => c.name), adapter).toEqual(NAMES);
          expect(clips.map((c) => [c.source_start, c.source_duration, c.record_start]), adapter).toEqual(exp.ranges.map((r, i) => [r.start, r.duration, exp.records[i]]));
          for (const c of clips) expect(fs.existsSync(fileURLToPath(c.url!)), c.url!).toBe(true);
          const transitions = track.items.map((it, i) => [it, i] as const).filter(([it]) => it.type === 'transition');
          expect(transitions.map(([t]) => [t.in! + t.out!]), adapter).toEqual([[exp.x1], [exp.x3]]);
          // After clip 1 and after clip 3.
          expect(transitions.map(([, i]) => clipsOf({ items: track.items.slice(0, i) }).length)).toEqual([1, 3]);
        }
      }
      const otio = readBack(files.otio, 'otio_json');
      expect(clipsOf(otio.tracks[0])[1].metadata).toMatch(/'shot': '2'.*|'take': 2/s);

      // The EDL: its dissolves start at the cut (CMX3600), so the outgoing clip is shown until the dissolve starts.
      const edl = readBack(files.edl, 'cmx_3600', num);
      expect(edl.duration).toBe(exp.total);
      const ec = clipsOf(edl.tracks[0]);
      expect(ec.map((c) => c.name)).toEqual(NAMES);
      expect(ec.map((c) => c.record_start)).toEqual([0, exp.records[1] - Math.floor(exp.x1 / 2), exp.records[2], exp.records[3] - Math.floor(exp.x3 / 2)]);
      expect(ec.map((c) => c.source_start)).toEqual([0, 0, 0, 0]);
      expect(edl.tracks[0].items.filter((i) => i.type === 'transition').map((t) => t.in! + t.out!)).toEqual([exp.x1, exp.x3]);
      for (const c of ec) expect(fs.existsSync(fileURLToPath(c.url!))).toBe(true);
      expect(fs.readFileSync(files.edl, 'utf8')).toMatch(/\* COMMENT: shot 2 take 2/);

      // FCPXML: the adapter finds the clips in order (it reads neither media-rep nor transitions,
      // ignores tcStart, and takes 30000/1001 as 29 fps, so its ranges are exact at whole rates only) ...
      const fx = readBack(files.fcpxml, 'fcpx_xml');
      const fxClips = clipsOf(fx.tracks[0]);
      expect(fxClips.map((c) => c.name)).toEqual(NAMES);
      if (Number.isInteger(num)) {
        const lead = fx.tracks[0].items[0].type === 'gap' ? fx.tracks[0].items[0].duration! : 0;
        expect(fxClips.map((c) => [c.source_start, c.source_duration, c.record_start! - lead])).toEqual(exp.ranges.map((r, i) => [r.start, r.duration, exp.records[i]]));
      }
      // ... so ranges, media and transitions are read from the XML itself, as exact fractions of a second.
      const spine = xmlElements(files.fcpxml).filter((e) => e.parent === 'spine');
      const framesAt = (t: string | null) => {
        const m = /^(\d+)(?:\/(\d+))?s$/.exec(t ?? '')!;
        return (Number(m[1]) * num) / Number(m[2] ?? 1);
      };
      const clipEls = spine.filter((e) => e.name === 'asset-clip');
      const tcStart = framesAt(xmlElements(files.fcpxml).find((e) => e.name === 'sequence')!.attrs.tcStart);
      expect(clipEls.map((c) => [framesAt(c.attrs.start), framesAt(c.attrs.duration), framesAt(c.attrs.offset) - tcStart].map((v) => Math.round(v * 1000) / 1000))).toEqual(exp.ranges.map((r, i) => [r.start, r.duration, exp.records[i]]));
      expect(spine.map((e) => e.name)).toEqual(['asset-clip', 'transition', 'asset-clip', 'asset-clip', 'transition', 'asset-clip']);
      expect(spine.filter((e) => e.name === 'transition').map((t) => Math.round(framesAt(t.attrs.duration)))).toEqual([exp.x1, exp.x3]);
      // A transition is centred on its cut: it starts floor(X/2) frames before the next clip.
      expect(Math.round(framesAt(spine[1].attrs.offset) - tcStart)).toBe(exp.records[1] - Math.floor(exp.x1 / 2));
      const all = xmlElements(files.fcpxml);
      expect(all.find((e) => e.name === 'fcpxml')!.attrs.version).toBe('1.10');
      for (const m of all.filter((e) => e.name === 'media-rep')) expect(fs.existsSync(fileURLToPath(m.attrs.src))).toBe(true);
      expect(all.filter((e) => e.name === 'note').map((n) => n.text)).toContain('the keeper <climbs>');
    } finally {
      session.close();
    }
  }, 120_000);
});

describe('ltx-batch export', () => {
  it('exports the rendered example storyboard in every format, packaged so the folder can move, with a start timecode', async () => {
    const dir = withFiles({});
    const out = path.join(dir, 'out');
    const r = await runCli(['render', path.join(ROOT, 'examples', 'storyboard.csv'), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const film = await probe(path.join(out, 'film.mp4'));
    for (const f of ['otio', 'fcpxml', 'xml', 'edl']) {
      const e = await runCli(['export', out, '--format', f]);
      expect(e.code, e.stderr).toBe(0);
      expect(e.stdout).toContain(`exports/film.${f}`);
    }
    const otio = readBack(path.join(out, 'exports', 'film.otio'), 'otio_json');
    expect(clipsOf(otio.tracks[0])).toHaveLength(8);
    expect(Math.abs(otio.duration - film.video!.frames!)).toBeLessThanOrEqual(1);

    // Packaged: the clips beside the export, named relative to it; the folder moves and still resolves.
    const pkg = path.join(dir, 'for-the-editor');
    const p = await runCli(['export', '--out', out, '--format', 'xml', '--file', path.join(pkg, 'cut.xml'), '--package', '--start-timecode', '10:00:00:00']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/8 clip\(s\) copied into/);
    const moved = path.join(dir, 'elsewhere');
    fs.renameSync(pkg, moved);
    const xml = fs.readFileSync(path.join(moved, 'cut.xml'), 'utf8');
    expect(xml).toContain('<string>10:00:00:00</string>');
    const cut = readBack(path.join(moved, 'cut.xml'), 'fcp_xml');
    for (const c of clipsOf(cut.tracks[0])) expect(fs.existsSync(path.join(moved, decodeURIComponent(c.url!))), c.url!).toBe(true);

    const bad = await runCli(['export', out, '--format', 'aaf']);
    expect(bad.code).not.toBe(0);
    const tc = await runCli(['export', out, '--format', 'edl', '--start-timecode', '01:00:00:30']);
    expect(tc.code).toBe(1);
    expect(tc.stderr).toMatch(/"01:00:00:30" is not a timecode HH:MM:SS:FF at 25 frames per second/);
  }, 120_000);
});

describe('placeholders', () => {
  it('a shot without a clip is a placeholder of its row\'s length in every format', async () => {
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution,fps\n1,a,1,64x36,25\n2,b,2,64x36,25\n3,c,1,64x36,25\n' });
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const sb = await importStoryboard(path.join(dir, 'sb.csv'));
    const session = ProjectSession.open(path.join(dir, 'out'), { registry: reg });
    try {
      await session.render(sb, planStoryboard(sb.shots, reg));
      // Shot 2's take failed (set up directly: no provider failure is needed to test the export).
      session.store.db.prepare(`UPDATE jobs SET state = 'failed' WHERE shot_id = (SELECT id FROM shots WHERE shot_key = '2')`).run();
      const files = await Promise.all((['otio', 'xml', 'edl'] as const).map(async (format) => (await exportForEditor(session.store, { format })).file));
      const otio = readBack(files[0], 'otio_json');
      expect(otio.tracks[0].items.map((i) => [i.type, i.type === 'gap' ? i.duration : i.source_duration])).toEqual([['clip', 25], ['gap', 50], ['clip', 25]]);
      expect(otio.duration).toBe(100);
      const xml = readBack(files[1], 'fcp_xml');
      expect(clipsOf(xml.tracks[0]).map((c) => c.record_start)).toEqual([0, 75]);
      expect(fs.readFileSync(files[2], 'utf8')).toMatch(/^002  BL +V +C +00:00:00:00 00:00:02:00 01:00:01:00 01:00:03:00\r\n\* COMMENT: placeholder: shot 2 has no clip yet/m);
      const edl = readBack(files[2], 'cmx_3600', 25);
      expect(edl.duration).toBe(100);
    } finally {
      session.close();
    }
  }, 60_000);
});
