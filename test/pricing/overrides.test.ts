/**
 * "Your prices": a creator corrects a provider's price in prices.csv (data folder) and every
 * estimate uses it, marked as theirs; a bad line refuses the file with the line and column named,
 * and nothing is estimated with a half-read file. Driven through the real CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { tmpDir, withFiles } from '../helpers/tmp';

const BOARD = ['shot,prompt,provider,model,duration,resolution', '1,a harbour at dawn,ltx,ltx-2-3-fast,6,1080p', '2,gulls over the pier,ltx,ltx-2-3-pro,8,1440p', '3,the keeper climbs,ltx,ltx-2-3-fast,10,4K'].join('\n');

function setup(pricesCsv?: string) {
  const home = tmpDir('ltx-prices-home-');
  if (pricesCsv !== undefined) fs.writeFileSync(path.join(home, 'prices.csv'), pricesCsv);
  const dir = withFiles({ 'board.csv': BOARD });
  return { home, board: path.join(dir, 'board.csv') };
}

type Row = { shot: string; estimate: { min: number; max: number; basis: string; yours?: boolean }; usdMax: number };

describe('prices.csv in the data folder', () => {
  it('without a file the provider tables price every row; with one, the matching rows use your price and say so', async () => {
    const plain = setup();
    const before = await runCli(['estimate', plain.board, '--json'], { LTX_BATCH_HOME: plain.home, LTX_API_KEY: 'k' });
    expect(before.code).toBe(0);
    const rowsBefore = (JSON.parse(before.stdout) as { rows: Row[] }).rows;
    expect(rowsBefore.every((r) => !r.estimate.yours)).toBe(true);

    // Most specific line wins: model + resolution over model alone over the provider alone.
    const mine = setup(['provider,model,resolution,usd_per_second,note', 'ltx,,,0.5,flat rate', 'ltx,ltx-2-3-fast,,0.05,', 'ltx,ltx-2-3-fast,2160p,0.2,checked 2026-12-02'].join('\n'));
    const after = await runCli(['estimate', mine.board, '--json'], { LTX_BATCH_HOME: mine.home, LTX_API_KEY: 'k' });
    expect(after.code).toBe(0);
    const rows = (JSON.parse(after.stdout) as { rows: Row[]; totalUsd: number }).rows;
    expect(rows.map((r) => r.usdMax)).toEqual([0.3, 4, 2]);
    expect(rows.every((r) => r.estimate.yours && /your prices/.test(r.estimate.basis))).toBe(true);
    expect(rows[2]!.estimate.basis).toContain('prices.csv line 4');

    const table = await runCli(['estimate', mine.board], { LTX_BATCH_HOME: mine.home, LTX_API_KEY: 'k' });
    expect(table.stdout).toContain('(your prices)');
    const prices = await runCli(['prices'], { LTX_BATCH_HOME: mine.home });
    expect(prices.code).toBe(0);
    expect(prices.stdout).toMatch(/your price: \$0\.2\/s for ltx-2-3-fast, 2160p \(prices\.csv line 4: checked 2026-12-02\)/);
    expect(prices.stdout).toContain('source: https://docs.ltx.video/pricing (read 2026-12-02)');
  });

  it('a bad line is an error naming the file, line and column; nothing is estimated until it is fixed', async () => {
    const bad = setup(['provider,model,resolution,usd_per_second,note', 'ltx,,,0.05,', 'ltx,ltx-2-3-pro,1080p,cheap,'].join('\n'));
    const est = await runCli(['estimate', bad.board], { LTX_BATCH_HOME: bad.home, LTX_API_KEY: 'k' });
    expect(est.code).toBe(1);
    expect(est.stderr).toMatch(/prices\.csv line 3, usd_per_second: a number of USD per second/);
    const prices = await runCli(['prices'], { LTX_BATCH_HOME: bad.home });
    expect(prices.code).toBe(1);
    expect(prices.stderr).toMatch(/prices\.csv line 3, usd_per_second/);

    const unknown = setup(['provider,model,resolution,usd_per_second,note', 'ltxx,,,0.05,'].join('\n'));
    const u = await runCli(['estimate', unknown.board], { LTX_BATCH_HOME: unknown.home, LTX_API_KEY: 'k' });
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/line 2, provider: unknown provider "ltxx"/);
  });
});
