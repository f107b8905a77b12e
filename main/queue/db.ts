/**
 * Opens a SQLite database with better-sqlite3: WAL journal, foreign keys on, a busy timeout so two
 * processes can share it, and numbered migrations applied in transactions.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

/** A better-sqlite3 connection. */
export type Db = Database.Database;

/** Thrown when a database was written by a newer LTX Batch than this one. */
export class DatabaseTooNewError extends Error {}

/**
 * Opens (creating if needed) the database at `file` and brings it to the latest of `migrations`.
 * Throws {@link DatabaseTooNewError} when the file is newer than the migrations known here, and
 * better-sqlite3's SqliteError when the file is not a database.
 */
export function openDatabase(file: string, migrations: string[]): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 10000');
  db.pragma('synchronous = NORMAL');
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    db.close();
    throw new DatabaseTooNewError(`${file} was written by a newer version of LTX Batch (schema ${current}, this version knows ${migrations.length}); update LTX Batch to open it`);
  }
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return db;
}
