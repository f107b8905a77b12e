/**
 * `ltx-batch report --out DIR [--csv FILE | --xlsx FILE]`: the per-shot results of a project. CSV
 * (latest take of each shot), safe to open in a spreadsheet (formula injection neutralised, see
 * main/report/export-csv.ts), to FILE or standard output; or an XLSX workbook of the storyboard's
 * own columns plus result columns with a thumbnail per row (main/report/export-xlsx.ts), which
 * renders again as the storyboard did.
 */
import fs from 'node:fs';
import path from 'node:path';
import { exportResultsCsv, type ResultRow } from '../report/export-csv';
import { ProjectStore } from '../queue/store';
import { writeResultsXlsx } from '../report/export-xlsx';
import { thumbnailJpeg } from '../media/thumbnail';

/** Runs the command; returns the exit code (1 when the folder holds no project). */
export async function reportCommand(opts: { out: string; csv?: string; xlsx?: string }, stdout: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  if (!fs.existsSync(path.join(opts.out, 'project.sqlite'))) {
    err.write(`${opts.out} holds no project (no project.sqlite); render a storyboard into it first\n`);
    return 1;
  }
  const store = new ProjectStore(opts.out);
  try {
    if (opts.xlsx) {
      const r = await writeResultsXlsx(store, opts.xlsx, { thumbnail: (j, file) => thumbnailJpeg(file, j.media?.duration ?? 0) });
      stdout.write(`results: ${r.file} (${r.rows} row(s), ${r.thumbnails} thumbnail(s); the storyboard's columns from ${r.columnsFrom === 'storyboard' ? 'its file' : 'the project, as its file could not be read'})\n`);
      return 0;
    }
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
