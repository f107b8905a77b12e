/**
 * The settings database (APP_HOME/settings.sqlite): budgets, the spend ledger and key/value
 * settings shared by every project on this machine. Numbered migrations, like project databases.
 */
import path from 'node:path';
import { openDatabase, type Db } from '../queue/db';
import { appHome } from './home';

/** Migration n is SETTINGS_MIGRATIONS[n - 1]. Never edit a shipped one. */
export const SETTINGS_MIGRATIONS: string[] = [
  // 1: budgets, the ledger (one row per submission of a job), plain settings.
  `
  CREATE TABLE budgets (
    scope TEXT NOT NULL CHECK (scope IN ('month', 'provider-month')),
    provider TEXT NOT NULL DEFAULT '',
    usd REAL NOT NULL CHECK (usd >= 0),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (scope, provider)
  );
  CREATE TABLE ledger (
    id INTEGER PRIMARY KEY,
    project TEXT NOT NULL,
    job_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    shot TEXT NOT NULL,
    provider TEXT NOT NULL,
    month TEXT NOT NULL,
    estimate_usd REAL,
    estimate_amount REAL,
    estimate_unit TEXT,
    actual_usd REAL,
    actual_amount REAL,
    actual_unit TEXT,
    state TEXT NOT NULL CHECK (state IN ('reserved', 'charged', 'refunded', 'released')),
    maybe_duplicate INTEGER NOT NULL DEFAULT 0,
    reserved_at INTEGER NOT NULL,
    settled_at INTEGER,
    UNIQUE (project, job_id, attempt)
  );
  CREATE INDEX ledger_by_month ON ledger (month, provider);
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 2: GPU seconds of local renders.
  `ALTER TABLE ledger ADD COLUMN gpu_seconds REAL;`,
];

/** Opens APP_HOME/settings.sqlite (creating it). */
export function openSettings(env: NodeJS.ProcessEnv = process.env): Db {
  return openDatabase(path.join(appHome(env), 'settings.sqlite'), SETTINGS_MIGRATIONS);
}
