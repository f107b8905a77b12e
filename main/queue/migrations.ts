/**
 * Numbered migrations of a project database (project.sqlite). Each runs once, in order, inside a
 * transaction; PRAGMA user_version holds the number of the last one applied. Never edit a
 * migration that has shipped: add the next number.
 */

/**
 * A job's share of what the project has committed in USD (row `r`: a table name, NEW or OLD): its
 * actual cost, else its estimate, 0 when refunded; counted while it is in flight or succeeded, and
 * once it was submitted whatever it became. Used by migration 6 (do not change: it has shipped).
 */
function committedShare(r: string): string {
  return `(CASE WHEN ${r}.state IN ('submitting','running','downloading','succeeded') OR (${r}.state IN ('failed','canceled','queued') AND ${r}.submitted_at IS NOT NULL)
    THEN (CASE WHEN ${r}.refunded = 1 THEN 0 ELSE COALESCE(${r}.actual_usd, ${r}.estimate_usd, 0) END) ELSE 0 END)`;
}

/** Adds `x` to the committed total with Neumaier's compensated summation (skipped when `x` is 0). */
function addToCommitted(x: string): string {
  return `UPDATE committed_totals SET usd = usd + ${x},
     usd_c = usd_c + CASE WHEN abs(usd) >= abs(${x}) THEN (usd - (usd + ${x})) + ${x} ELSE (${x} - (usd + ${x})) + usd END
     WHERE id = 1 AND ${x} <> 0`;
}

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
  // 6: speed. (a) The next queued jobs of a provider picked from an index that holds exactly the
  // runnable ones (queued, not held), in id order: no sort, no scan of every queued job. It also
  // lists the providers with runnable jobs, so jobs_queue (migration 2), which every state change
  // had to update, goes. (b) What the project has committed in USD (ProjectStore.committedUsd)
  // kept as a running total by triggers, so a budget check does not sum the whole table. The total
  // is Neumaier-compensated (usd + usd_c), each change adding minus a job's old share then its new
  // share, so it stays equal to the full SUM.
  `CREATE INDEX jobs_runnable ON jobs (provider, id, next_run_at) WHERE state = 'queued' AND hold_reason IS NULL;
   DROP INDEX jobs_queue;
   CREATE TABLE committed_totals (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     usd REAL NOT NULL,
     usd_c REAL NOT NULL
   );
   INSERT INTO committed_totals (id, usd, usd_c) SELECT 1, COALESCE(SUM(${committedShare('jobs')}), 0), 0 FROM jobs;
   CREATE TRIGGER committed_on_insert AFTER INSERT ON jobs WHEN ${committedShare('NEW')} <> 0 BEGIN
     ${addToCommitted(committedShare('NEW'))};
   END;
   CREATE TRIGGER committed_on_update AFTER UPDATE OF state, submitted_at, refunded, actual_usd, estimate_usd ON jobs
   WHEN ${committedShare('OLD')} IS NOT ${committedShare('NEW')} BEGIN
     ${addToCommitted(`-(${committedShare('OLD')})`)};
     ${addToCommitted(committedShare('NEW'))};
   END;
   CREATE TRIGGER committed_on_delete AFTER DELETE ON jobs WHEN ${committedShare('OLD')} <> 0 BEGIN
     ${addToCommitted(`-(${committedShare('OLD')})`)};
   END;`,
  // 7: what stitching and the timeline need to know of a finished clip (codecs, profile, size,
  // frame rate, pixel format, audio layout, exact duration and frame count), probed once when the
  // clip is recorded: a stream-copy stitch and a timeline drag read nothing else (JSON, MediaInfo).
  `ALTER TABLE jobs ADD COLUMN media TEXT;`,
  // 8: takes. Each take records the seed it was sent with (NULL for takes recorded before, and for
  // providers without seeds), who asked for it ('storyboard': the row's takes; 'new-take': the
  // creator afterwards) and which of the row's takes it is (variant 1..N; NULL for a New take and
  // for takes recorded before, read as 1); a shot whose row says seed -1 keeps the random seed its
  // takes count from; and whether the creator chose the shot's take by hand (then a take finishing
  // later does not replace the choice). Continuity: a continued shot's takes name the shot they
  // continue (after_shot) and are held until it has a finished take.
  `ALTER TABLE jobs ADD COLUMN seed INTEGER;
   ALTER TABLE jobs ADD COLUMN after_shot INTEGER REFERENCES shots(id);
   ALTER TABLE jobs ADD COLUMN from_job INTEGER;
   CREATE INDEX jobs_after_shot ON jobs (after_shot) WHERE after_shot IS NOT NULL AND state = 'queued';
   ALTER TABLE jobs ADD COLUMN variant INTEGER;
   ALTER TABLE jobs ADD COLUMN origin TEXT NOT NULL DEFAULT 'storyboard' CHECK (origin IN ('storyboard', 'new-take'));
   ALTER TABLE shots ADD COLUMN seed_base INTEGER;
   ALTER TABLE shots ADD COLUMN chosen_by_creator INTEGER NOT NULL DEFAULT 0;`,
  // 9: retake and extend. A take made by editing another (a retake of a section, an extension) is a
  // creator's new take (origin 'new-take') whose from_job is the take it edits and whose edit is
  // the change as JSON (providers' TakeEdit: {kind: "retake", startS, durationS, mode} or
  // {kind: "extend", seconds, at}; NULL for every other take).
  `ALTER TABLE jobs ADD COLUMN edit TEXT;`,
  // 10: each crossfade's own length, seconds (NULL: the default, 0.5 s), on the shot it follows.
  `ALTER TABLE shots ADD COLUMN joint_seconds REAL;`,
  // 11: the creator's note on a take ("best light", "hand glitch at 3 s"), shown beside the take; '' when none.
  `ALTER TABLE jobs ADD COLUMN note TEXT NOT NULL DEFAULT '';`,
  // 12: the project's own id, a random 128-bit UUID (version 4 form) made once: with a job's id and
  // attempt it names the job's task where a service needs an id unique across projects (the render
  // farm's Temporal workflow ids).
  `CREATE TABLE project_meta (id INTEGER PRIMARY KEY CHECK (id = 1), uuid TEXT NOT NULL);
   INSERT INTO project_meta (id, uuid)
     SELECT 1, substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(h, 18, 3) || '-' || substr(h, 21, 12)
     FROM (SELECT lower(hex(randomblob(16))) AS h);`,
];
