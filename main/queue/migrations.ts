/**
 * Numbered migrations of a project database (project.sqlite). Each runs once, in order, inside a
 * transaction; PRAGMA user_version holds the number of the last one applied. Never edit a
 * migration that has shipped: add the next number.
 */

/** Migration n is MIGRATIONS[n - 1]. */
export const MIGRATIONS: string[] = [
  // 1: storyboards, shots, jobs (one per render attempt), their state history, provider pauses.
  `
  CREATE TABLE storyboards (
    id INTEGER PRIMARY KEY,
    file TEXT NOT NULL,
    hash TEXT NOT NULL,
    imported_at INTEGER NOT NULL
  );
  CREATE TABLE shots (
    id INTEGER PRIMARY KEY,
    shot_key TEXT NOT NULL UNIQUE,
    ord INTEGER NOT NULL,
    row INTEGER NOT NULL,
    spec TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    provider TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    chosen_job_id INTEGER,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    shot_id INTEGER NOT NULL REFERENCES shots(id) ON DELETE CASCADE,
    take INTEGER NOT NULL,
    provider TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    request TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued','submitting','running','downloading','succeeded','failed','canceled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 6,
    next_run_at INTEGER NOT NULL DEFAULT 0,
    submit_sent_at INTEGER,
    remote_task_id TEXT,
    result TEXT,
    progress REAL NOT NULL DEFAULT 0,
    estimate_unit TEXT,
    estimate_min REAL,
    estimate_max REAL,
    estimate_usd REAL,
    actual_unit TEXT,
    actual_amount REAL,
    actual_usd REAL,
    refunded INTEGER NOT NULL DEFAULT 0,
    gpu_seconds REAL,
    hold_reason TEXT,
    error TEXT,
    error_code TEXT,
    notes TEXT,
    maybe_duplicate INTEGER NOT NULL DEFAULT 0,
    output TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    submitted_at INTEGER,
    finished_at INTEGER,
    UNIQUE (shot_id, take)
  );
  CREATE INDEX jobs_by_state ON jobs (state, next_run_at);
  CREATE INDEX jobs_by_shot ON jobs (shot_id);
  CREATE TABLE job_events (
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    message TEXT
  );
  CREATE INDEX job_events_by_job ON job_events (job_id);
  CREATE TABLE provider_state (
    provider TEXT PRIMARY KEY,
    paused_reason TEXT,
    paused_at INTEGER
  );
  `,
  // 2: lets the runner pick the next queued jobs of a provider without sorting the whole table.
  `CREATE INDEX jobs_queue ON jobs (state, provider, id);`,
  // 3: the timeline as the creator arranged it: position in the film and the joint after each shot.
  `ALTER TABLE shots ADD COLUMN film_order INTEGER;
   ALTER TABLE shots ADD COLUMN joint_after TEXT NOT NULL DEFAULT 'cut' CHECK (joint_after IN ('cut', 'crossfade'));`,
  // 4: the project lease: which process drives this project's queue (one at a time), kept alive by a heartbeat.
  `CREATE TABLE lease (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     owner TEXT NOT NULL,
     label TEXT NOT NULL,
     pid INTEGER NOT NULL,
     host TEXT NOT NULL,
     acquired_at INTEGER NOT NULL,
     heartbeat_at INTEGER NOT NULL
   );`,
  // 5: settings that belong to the project, not to one command: the render budget (USD).
  `CREATE TABLE project_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
];
