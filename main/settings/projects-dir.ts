/**
 * Where named projects are created: the "projectsDir" setting, else APP_HOME/projects.
 */
import path from 'node:path';
import type { Db } from '../queue/db';
import { appHome } from './home';

/** Projects folder: the setting, else APP_HOME/projects. */
export function projectsDir(settings: Db): string {
  const row = settings.prepare("SELECT value FROM settings WHERE key = 'projectsDir'").get() as { value: string } | undefined;
  return row?.value ?? path.join(appHome(), 'projects');
}
