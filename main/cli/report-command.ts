/**
 * `ltx-batch report --out DIR [--csv FILE]`: the per-shot results of a project (latest take of
 * each shot) as CSV, safe to open in a spreadsheet (formula injection neutralised, see
 * main/report/export-csv.ts). Writes to FILE, or to standard output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { exportResultsCsv, type ResultRow } from '../report/export-csv';
import { ProjectStore } from '../queue/store';

/** Runs the command; returns the exit code (1 when the folder holds no project). */
export function reportCommand(opts: { out: string; csv?: string }, stdout: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): number {
  if (!fs.existsSync(path.join(opts.out, 'project.sqlite'))) {
    err.write(`${opts.out} holds no project (no project.sqlite); render a storyboard into it first\n`);
    return 1;
  }
  const store = new ProjectStore(opts.out);
  try {
    const shots = new Map(store.shots().map((s) => [s.id, s]));
    const rows: ResultRow[] = store.latestJobs().map((j) => ({
      shot: j.shotKey,
      row: shots.get(j.shotId)?.row ?? 0,
      prompt: shots.get(j.shotId)?.spec.prompt ?? '',
      provider: j.provider,
      state: j.state,
      take: j.take,
      clip: j.output,
      estimate: j.estimateUsd,
      actual: j.actualUsd,
      error: j.error ?? j.holdReason ?? null,
    }));
    const csv = exportResultsCsv(rows, { bom: !!opts.csv });
    if (opts.csv) {
      const tmp = `${opts.csv}.part`;
      fs.writeFileSync(tmp, csv);
      fs.renameSync(tmp, opts.csv);
    } else stdout.write(csv);
    return 0;
  } finally {
    store.close();
  }
}
