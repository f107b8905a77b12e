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
  // The busy timeout first: two processes opening one database at once wait for each other.
  db.pragma('busy_timeout = 10000');
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    db.close();
    throw new DatabaseTooNewError(`${file} was written by a newer version of LTX Batch (schema ${current}, this version knows ${migrations.length}); update LTX Batch to open it`);
  }
  // Each migration reads the version inside its own IMMEDIATE transaction: when two processes open
  // a new database at the same moment, the second finds the first's work done instead of redoing it.
  for (;;) {
    let applied = false;
    db.transaction(() => {
      const v = db.pragma('user_version', { simple: true }) as number;
      if (v >= migrations.length) return;
      db.exec(migrations[v]);
      db.pragma(`user_version = ${v + 1}`);
      applied = true;
    }).immediate();
    if (!applied) break;
  }
  return db;
}
