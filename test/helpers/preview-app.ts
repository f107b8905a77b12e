/**
 * The app's core as the Electron shell and the browser UI run it (AppService and its handlers),
 * with the preview provider (free ffmpeg animatics), no keys, a temporary app home and projects
 * folder, and the events it sends kept for the test to read.
 */
import path from 'node:path';
import { AppService } from '../../main/app/app-service';
import type { EventName } from '../../main/contract/api';
import { ProviderRegistry } from '../../main/providers/registry';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import { openSettings } from '../../main/settings/settings-db';
import { tmpDir } from './tmp';

/** An app service on the preview provider; `finished()` waits (up to 20 s) for the render's end event and clears the events. */
export function previewApp() {
  const events: { name: EventName; payload: unknown }[] = [];
  const settings = openSettings({ LTX_BATCH_HOME: tmpDir() });
  const service = new AppService({
    registry: new ProviderRegistry([createPreviewProvider()]),
    keys: { get: () => undefined, set: () => {}, delete: () => false },
    settings,
    projectsDir: tmpDir(),
    mediaUrl: (f: string) => `/media/${path.basename(f)}`,
    emit: (name, payload) => events.push({ name, payload }),
  });
  const ended = () => events.find((x) => x.name === 'render.finished' || x.name === 'render.failed');
  const finished = async () => {
    for (let i = 0; i < 1000 && !ended(); i++) await new Promise((r) => setTimeout(r, 20));
    const e = ended();
    events.length = 0;
    return e;
  };
  return { service, settings, events, finished };
}
