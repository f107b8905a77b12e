/**
 * The app's handler map against the contract. The type checks below are checked by
 * `npm run typecheck` (tsc includes test/): each @ts-expect-error must be an error, so a handler
 * map that accepted wrong arguments or results would fail the type check.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { METHOD_NAMES } from '../../main/contract/api';
import { AppService } from '../../main/app/app-service';
import { AppContext } from '../../main/app/context';
import { createHandlers, type Handler, type Handlers, type HandlersFor } from '../../main/app/handlers';
import { ProviderRegistry } from '../../main/providers/registry';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import { openSettings } from '../../main/settings/settings-db';
import { ROOT, tmpDir } from '../helpers/tmp';

const deps = () => ({
  registry: new ProviderRegistry([createPreviewProvider()]),
  keys: { get: () => undefined, set: () => {}, delete: () => false },
  settings: openSettings({ LTX_BATCH_HOME: tmpDir() }),
  projectsDir: tmpDir(),
  mediaUrl: (f: string) => `/media/${path.basename(f)}`,
  emit: () => {},
});

describe('the handler map', () => {
  it('has exactly one handler per contract method', () => {
    const handlers = createHandlers(new AppContext(deps()));
    expect(Object.keys(handlers).sort()).toEqual([...METHOD_NAMES].sort());
  });

  it('browser mode: two different uploads named storyboard.csv never overwrite each other; the same file uploaded again is the same storyboard', async () => {
    const d = deps();
    const service = new AppService(d);
    const up = (csv: string) => service.handle('storyboard.upload', { fileName: 'storyboard.csv', dataBase64: Buffer.from(csv).toString('base64') });
    const first = await up('shot,prompt,duration\n1,a lighthouse at dusk,5\n');
    const second = await up('shot,prompt,duration\n1,a desert road,5\n2,a diner,5\n');
    expect(second.file).not.toBe(first.file);
    expect(fs.readFileSync(first.file, 'utf8')).toContain('a lighthouse at dusk');
    expect(fs.readFileSync(second.file, 'utf8')).toContain('a desert road');
    expect(path.basename(second.file)).toBe('storyboard.csv');
    expect((await up('shot,prompt,duration\n1,a lighthouse at dusk,5\n')).file).toBe(first.file);
    d.settings.close();
  });

  it('a control character typed into a cell in the app is an error on that row, as in the file', async () => {
    const d = deps();
    const service = new AppService(d);
    await service.handle('storyboard.upload', { fileName: 'clean.csv', dataBase64: Buffer.from('shot,prompt,duration\n1,a quiet pier,5\n').toString('base64') });
    const edited = await service.handle('shots.edit', { row: 2, field: 'prompt', value: 'a quiet\u0007 pier' });
    expect(edited.issues.filter((i) => i.severity === 'error').map((i) => [i.row, i.column, /control character/.test(i.message)])).toEqual([[2, 'prompt', true]]);
    d.settings.close();
  });

  it('answers calls parsed by the contract, and refuses what the contract refuses', async () => {
    const service = new AppService(deps());
    const sb = await service.call('storyboard.openPath', { path: path.join(ROOT, 'examples', 'storyboard.csv') });
    expect(sb.method).toBe('storyboard.openPath');
    expect((await service.handle('estimate.get', {})).totalUsd).toBe(0);
    await expect(service.call('queue.cancel', { jobId: 'x' })).rejects.toThrow('bad arguments for queue.cancel: jobId');
    await expect(service.handle('queue.cancel', { jobId: 1 })).rejects.toMatchObject({ message: 'no project is open', fix: 'render a storyboard first' });
  });

  it('does not compile a handler whose arguments or result differ from the contract', () => {
    // Right: the parsed arguments in, the contract's result out.
    const ok: Handler<'queue.rerender'> = async ({ shotId }) => ({ jobId: shotId });
    // @ts-expect-error the result of queue.rerender is { jobId }, not null
    const badResult: Handler<'queue.rerender'> = async () => null;
    // @ts-expect-error queue.cancel takes { jobId: number }, not a string
    const badArgs: Handler<'queue.cancel'> = async (a: { jobId: string }) => (a ? null : null);
    // @ts-expect-error a module must handle every method it claims
    const missing: HandlersFor<'queue.cancel' | 'queue.retry'> = { 'queue.cancel': async () => null };
    // @ts-expect-error the whole map must handle every method
    const partial: Handlers = { 'queue.cancel': async () => null };
    expect([ok, badResult, badArgs, missing, partial].length).toBe(5);
  });
});
