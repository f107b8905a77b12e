/**
 * The app's own settings in the settings database (key -> text: the ffmpeg location, the projects
 * folder): read and written here, with the rest of the settings database's SQL.
 */
import type { Db } from '../queue/db';

/** The value of a setting, or undefined when it is not set. */
export function getSetting(db: Db, key: string): string | undefined {
  return (db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

/** Sets a setting (null removes it). */
export function setSetting(db: Db, key: string, value: string | null): void {
  if (value === null) db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  else db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
}
