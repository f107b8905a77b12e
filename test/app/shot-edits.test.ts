/**
 * The app's bulk edits and shot inspector through its handlers (the core as the app and the
 * browser UI call it), on real storyboard files, ffmpeg and the preview provider: what lands in
 * the file, what one undo takes back, what the inspector shows, and what "render selected" renders.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { ffmpegPath, ffprobePath } from '../../main/media/ffmpeg-path';
import { previewApp } from '../helpers/preview-app';
import { tmpDir, withFiles } from '../helpers/tmp';

const app = previewApp;

const CSV = ['shot,prompt,duration,resolution,notes', '1,a pier at dawn,1,160x90,wide', '2,"gulls, loud",1,160x90,', '3,the pier at night,1,160x90,end', ''].join('\n');

describe('bulk edits in the app', () => {
  it('a pasted block is one save, and one undo puts every cell back', async () => {
    const { service, settings } = app();
    const file = path.join(withFiles({ 'sb.csv': CSV }), 'sb.csv');
    await service.handle('storyboard.openPath', { path: file });
    const pasted = await service.handle('shots.paste', { rows: [3, 4], fields: ['prompt', 'duration', 'resolution'], text: 'a gull, close\t2\r\n"the pier, ""lit""\nat night"\t3\r\n' });
    expect(pasted).toMatchObject({ height: 2, width: 2, changed: 4 });
    const rows = parse(fs.readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toEqual([
      { shot: '1', prompt: 'a pier at dawn', duration: '1', resolution: '160x90', notes: 'wide' },
      { shot: '2', prompt: 'a gull, close', duration: '2', resolution: '160x90', notes: '' },
      { shot: '3', prompt: 'the pier, "lit"\nat night', duration: '3', resolution: '160x90', notes: 'end' },
    ]);
    expect(pasted.storyboard.shots.map((s) => s.duration)).toEqual([1, 2, 3]);
    // The backup beside it is the file before the paste.
    expect(fs.readFileSync(path.join(path.dirname(file), 'sb.backup.csv'), 'utf8')).toBe(CSV);
    const undone = await service.handle('shots.editMany', { edits: pasted.undo });
    expect(undone.changed).toBe(4);
    const back = fs.readFileSync(file, 'utf8');
    expect(parse(back)).toEqual(parse(CSV));
    // Records the undo did not touch are as they were, byte for byte (a cell quoted once stays quoted).
    expect(back.split('\n').slice(0, 2)).toEqual(CSV.split('\n').slice(0, 2));
    // Redo is the paste's own edits again: what undoing the undo gives.
    await service.handle('shots.editMany', { edits: undone.undo });
    expect((parse(fs.readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[])[1].prompt).toBe('a gull, close');
    settings.close();
  });

  it('fill down, find and replace: counted first, written only when applied, refusals name what to do', async () => {
    const { service, settings } = app();
    const file = path.join(withFiles({ 'sb.csv': CSV }), 'sb.csv');
    await service.handle('storyboard.openPath', { path: file });
    // A column the sheet does not have yet (fps) is added to its header.
    await service.handle('shots.edit', { row: 2, field: 'fps', value: '25' });
    const filled = await service.handle('shots.fillDown', { rows: [2, 3, 4], fields: ['fps', 'notes'] });
    expect(filled.changed).toBe(4);
    expect((parse(fs.readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[]).map((r) => [r.fps, r.notes])).toEqual([
      ['25', 'wide'],
      ['25', 'wide'],
      ['25', 'wide'],
    ]);
    const counted = await service.handle('shots.replace', { find: 'PIER', replace: 'jetty', matchCase: false, apply: false });
    expect(counted).toMatchObject({ matches: 2, rows: 2, changed: 0 });
    expect(fs.readFileSync(file, 'utf8')).toContain('a pier at dawn');
    const applied = await service.handle('shots.replace', { find: 'PIER', replace: 'jetty', matchCase: false, apply: true });
    expect(applied.storyboard.shots.map((s) => s.prompt)).toEqual(['a jetty at dawn', 'gulls, loud', 'the jetty at night']);
    await expect(service.handle('shots.paste', { rows: [4], fields: ['prompt'], text: 'one\ntwo\n' })).rejects.toThrow(/the pasted block has 2 rows, and only 1 shot\(s\) are shown/);
    await expect(service.handle('shots.fillDown', { rows: [2, 9], fields: ['notes'] })).rejects.toThrow('row 9 is not a shot of this storyboard');
    settings.close();
  });
});

describe('the shot inspector', () => {
  it('shows every cell as written, a thumbnail of the image, the waveform of the audio, and what is missing', async () => {
    const { service, settings } = app();
    const dir = withFiles({ 'sb.csv': 'shot,prompt,image,audio,end_image,negative_prompt\n1,a lighthouse,still.png,voice.wav,gone.png,blurry\n' });
    // An image, and audio that is a tone for 1 s then silence for 1 s.
    execFileSync(ffmpegPath(), ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=320x180', '-frames:v', '1', path.join(dir, 'still.png')]);
    execFileSync(ffmpegPath(), ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=mono', '-filter_complex', '[1]atrim=duration=1[s];[0][s]concat=n=2:v=0:a=1', path.join(dir, 'voice.wav')]);
    await service.handle('storyboard.openPath', { path: path.join(dir, 'sb.csv') });
    const v = await service.handle('shots.inspect', { row: 2 });
    expect(v.shot).toBe('1');
    expect(v.cells.find((c) => c.field === 'negative_prompt')).toEqual({ field: 'negative_prompt', header: 'negative_prompt', value: 'blurry' });
    expect(v.cells.find((c) => c.field === 'notes')).toEqual({ field: 'notes', header: null, value: '' });
    const image = v.media.find((m) => m.field === 'image')!;
    expect(image.exists).toBe(true);
    expect(image.thumb).toMatch(/^data:image\/jpeg;base64,\/9j\//);
    const audio = v.media.find((m) => m.field === 'audio')!.waveform!;
    expect(audio.durationS).toBeCloseTo(2, 1);
    const half = audio.peaks.length / 2;
    expect(Math.min(...audio.peaks.slice(2, half - 2))).toBeGreaterThan(0.1);
    expect(Math.max(...audio.peaks.slice(half + 2))).toBeLessThan(0.01);
    expect(v.media.find((m) => m.field === 'end_image')).toMatchObject({ exists: false, problem: `there is no file at ${path.join(dir, 'gone.png')}` });
    expect(v.takes).toEqual([]);
    settings.close();
  });

  it('a file dropped onto a row is copied into the storyboard\'s media folder and its cell points at it; a file of the wrong kind changes nothing', async () => {
    const { service, settings } = app();
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution\n1,a lighthouse,1,160x90\n' });
    const elsewhere = tmpDir();
    execFileSync(ffmpegPath(), ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=blue:s=160x90', '-frames:v', '1', path.join(elsewhere, 'key frame.png')]);
    const png = fs.readFileSync(path.join(elsewhere, 'key frame.png'));
    await service.handle('storyboard.openPath', { path: path.join(dir, 'sb.csv') });
    const r = await service.handle('shots.attachMedia', { row: 2, field: 'image', fileName: 'key frame.png', dataBase64: png.toString('base64') });
    expect(r.path).toBe('media/key frame.png');
    expect(fs.readFileSync(path.join(dir, 'media', 'key frame.png'))).toEqual(png);
    expect(fs.readFileSync(path.join(dir, 'sb.csv'), 'utf8')).toBe('shot,prompt,duration,resolution,image\n1,a lighthouse,1,160x90,media/key frame.png\n');
    expect(r.storyboard.shots[0]).toMatchObject({ mode: 'image-to-video', image: 'media/key frame.png' });
    // Another file of the same name never overwrites the first one.
    const other = Buffer.from(png);
    other[other.length - 1] ^= 0xff;
    execFileSync(ffmpegPath(), ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=green:s=160x90', '-frames:v', '1', '-y', path.join(elsewhere, 'key frame.png')]);
    const second = await service.handle('shots.attachMedia', { row: 2, field: 'end_image', fileName: 'key frame.png', dataBase64: fs.readFileSync(path.join(elsewhere, 'key frame.png')).toString('base64') });
    expect(second.path).toMatch(/^media\/key frame-[0-9a-f]{8}\.png$/);
    expect(fs.readFileSync(path.join(dir, 'media', 'key frame.png'))).toEqual(png);
    const before = fs.readFileSync(path.join(dir, 'sb.csv'), 'utf8');
    await expect(service.handle('shots.attachMedia', { row: 2, field: 'audio', fileName: 'voice.wav', dataBase64: Buffer.from('not audio at all').toString('base64') })).rejects.toThrow(
      'row 2, audio: voice.wav is not a file type the app recognises; the audio column takes an audio file (WAV, MP3, M4A, OGG, FLAC)',
    );
    await expect(service.handle('shots.attachMedia', { row: 2, field: 'audio', fileName: 'still.png', dataBase64: png.toString('base64') })).rejects.toThrow(/still\.png is a PNG file \(image\/png\); the audio column takes an audio file/);
    expect(fs.readFileSync(path.join(dir, 'sb.csv'), 'utf8')).toBe(before);
    settings.close();
  });
});

describe('render selected', () => {
  it('renders only the selected rows (and the shots they continue from); the others keep their place in a rough cut as placeholder cards', async () => {
    const { service, settings, finished } = app();
    const csv = ['shot,prompt,duration,resolution,continue_from', '1,one,1,160x90,', '2,two,1,160x90,', '3,three,1,160x90,2', '4,four,1,160x90,', ''].join('\n');
    await service.handle('storyboard.openPath', { path: path.join(withFiles({ 'sb.csv': csv }), 'sb.csv') });
    const project = tmpDir('ltx-selected-');
    await service.handle('render.start', { project, rows: [4] });
    expect((await finished())?.payload).toMatchObject({ succeeded: 2, failed: 0, filmUrl: expect.stringMatching(/film\.mp4/), filmSkipped: null, placeholders: ['1', '4'] });
    // The film: 4 shots of 1 s, two of them placeholder cards; the Timeline shows it is up to date, with its placeholders.
    const probeLength = (f: string) => Number(execFileSync(ffprobePath(), ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', f], { encoding: 'utf8' }));
    expect(probeLength(path.join(project, 'film.mp4'))).toBeCloseTo(4, 0);
    let tl = await service.handle('timeline.get', {});
    expect(tl.clips.map((c) => [c.shot, c.chosenJobId !== null])).toEqual([
      ['1', false],
      ['2', true],
      ['3', true],
      ['4', false],
    ]);
    expect(tl).toMatchObject({ filmStale: false, filmPlaceholders: ['1', '4'] });
    // A reorder makes the film out of date until it is exported again.
    tl = await service.handle('timeline.update', { order: [tl.clips[1].shotId, tl.clips[0].shotId, tl.clips[2].shotId, tl.clips[3].shotId], takes: {}, joints: ['cut', 'cut', 'cut'] });
    expect(tl.filmStale).toBe(true);
    expect((await service.handle('timeline.export', {})).placeholders).toEqual(['1', '4']);
    expect((await service.handle('timeline.get', {})).filmStale).toBe(false);
    let jobs = await service.handle('queue.list', {});
    expect(jobs.map((j) => [j.shot, j.state])).toEqual([
      ['2', 'succeeded'],
      ['3', 'succeeded'],
    ]);
    // A note on a take, shown by the inspector beside it.
    await service.handle('queue.noteTake', { jobId: jobs[1].id, note: '  best light ' });
    expect((await service.handle('shots.inspect', { row: 4 })).takes.map((t) => [t.take, t.note, t.chosen])).toEqual([[1, 'best light', true]]);
    // The rest: the shots rendered before are kept, the film is made of clips only.
    await service.handle('render.start', { project });
    expect((await finished())?.payload).toMatchObject({ succeeded: 4, failed: 0, filmSkipped: null, placeholders: [] });
    jobs = await service.handle('queue.list', {});
    expect(jobs.map((j) => [j.shot, j.take])).toEqual([
      ['1', 1],
      ['2', 1],
      ['3', 1],
      ['4', 1],
    ]);
    expect(jobs[2].note).toBe('best light');
    settings.close();
  }, 60_000);
});
