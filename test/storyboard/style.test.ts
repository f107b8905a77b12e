/**
 * A style and characters: a workbook's Style and Characters sheets or the command line's --style,
 * --negative and --characters; {Name} in a prompt becomes the character's description; changing
 * the look re-renders finished shots only when the creator confirms.
 */
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import type { Provider } from '../../main/providers/provider';
import { ProjectSession } from '../../main/project/session';
import { LookChangedError } from '../../main/project/restyle';
import { runCli } from '../helpers/cli';
import { tmpDir, withFiles } from '../helpers/tmp';

async function workbook(dir: string, sheets: Record<string, (string | number)[][]>): Promise<string> {
  const wb = new ExcelJS.Workbook();
  for (const [name, rows] of Object.entries(sheets)) {
    const ws = wb.addWorksheet(name);
    for (const r of rows) ws.addRow(r);
  }
  const file = path.join(dir, 'board.xlsx');
  await wb.xlsx.writeFile(file);
  return file;
}

const SHOTS = [
  ['shot', 'prompt', 'duration', 'resolution', 'negative_prompt'],
  [1, '{Mara} walks along the harbour wall', 0.4, '64x36', 'blurry'],
  [2, 'gulls over the pier', 0.4, '64x36', ''],
  [3, '{mara} and {Theo} at the lighthouse door', 0.4, '64x36', ''],
];

describe('style and characters', () => {
  it("reads a workbook's Style and Characters sheets: prompts expanded and styled, the sheets not taken for shots", async () => {
    const file = await workbook(withFiles({}), {
      Shots: SHOTS,
      Style: [
        ['prefix', 'cinematic 35mm film'],
        ['suffix', 'soft grain'],
        ['negative_prompt', 'text, watermark'],
      ],
      Characters: [
        ['name', 'description'],
        ['Mara', 'a woman in her 30s with a red wool coat and short black hair'],
        ['Theo', 'a grey-bearded lighthouse keeper in oilskins'],
      ],
    });
    const sb = await importStoryboard(file);
    expect(sb.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(sb.issues.map((i) => i.message).join('\n')).not.toMatch(/other sheets/);
    expect(sb.shots.map((s) => s.prompt)).toEqual([
      'cinematic 35mm film, a woman in her 30s with a red wool coat and short black hair walks along the harbour wall, soft grain',
      'cinematic 35mm film, gulls over the pier, soft grain',
      'cinematic 35mm film, a woman in her 30s with a red wool coat and short black hair and a grey-bearded lighthouse keeper in oilskins at the lighthouse door, soft grain',
    ]);
    expect(sb.shots.map((s) => s.negativePrompt)).toEqual(['blurry, text, watermark', 'text, watermark', 'text, watermark']);
    expect(sb.shots[0].rowPrompt).toBe('{Mara} walks along the harbour wall');
    expect(sb.look?.uses).toEqual({ Mara: 2, Theo: 1 });
    // What is sent (and recorded with each job) is the expanded prompt.
    const plan = planStoryboard(sb.shots, new ProviderRegistry([createPreviewProvider()]));
    expect((plan.rows[0].request!.body as { prompt: string }).prompt).toContain('red wool coat');
  });

  it('names the row and column of an unknown character and of a bad Style or Characters row', async () => {
    const file = await workbook(withFiles({}), {
      Shots: [SHOTS[0], [1, '{Marra} at dawn', 0.4, '64x36', '']],
      Style: [['prefx', 'oops']],
      Characters: [['name', 'description'], ['Mara', 'a woman'], ['mara', 'another woman'], ['Theo', '']],
    });
    const sb = await importStoryboard(file);
    const errors = sb.issues.filter((i) => i.severity === 'error').map((i) => [i.row, i.column, i.message]);
    expect(errors).toEqual([
      [1, 'A', 'sheet Style: "prefx" is not a style field; use prefix, suffix or negative_prompt'],
      [3, 'name', 'sheet Characters: "mara" is already described on row 2'],
      [4, 'description', 'sheet Characters: "Theo" has no description'],
      [2, 'prompt', '{Marra} is not a character; characters: Mara'],
    ]);
  });

  it('takes --style with {prompt}, --negative and a --characters CSV beside a CSV storyboard', async () => {
    const dir = withFiles({
      'sb.csv': 'shot,prompt,duration,resolution\n1,{Mara} runs,0.4,64x36\n2,rain,0.4,64x36',
      'chars.csv': 'Name,Description\nMara,"a woman in a red coat, short black hair"',
    });
    const sb = await importStoryboard(path.join(dir, 'sb.csv'), { style: 'anime key frame: {prompt}. Studio lighting', negative: 'blur', charactersFile: path.join(dir, 'chars.csv') });
    expect(sb.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(sb.shots.map((s) => [s.prompt, s.negativePrompt])).toEqual([
      ['anime key frame: a woman in a red coat, short black hair runs. Studio lighting', 'blur'],
      ['anime key frame: rain. Studio lighting', 'blur'],
    ]);
    const missing = await importStoryboard(path.join(dir, 'sb.csv'), { charactersFile: path.join(dir, 'nope.csv') });
    expect(missing.issues.find((i) => i.severity === 'error')!.message).toMatch(/--characters .*nope\.csv: ENOENT/);
  });

  it('a changed description re-renders the shots that use it only when the creator confirms, and says what it costs', async () => {
    const priced: Provider = { ...createPreviewProvider(), estimate: () => ({ unit: 'USD', min: 0.25, max: 0.25, usdPerUnit: 1, basis: 'test price' }) };
    const reg = new ProviderRegistry([priced]);
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution\n1,{Mara} runs,0.4,64x36\n2,rain,0.4,64x36\n3,{Mara} waits,0.4,64x36' });
    const chars = (d: string) => fs.writeFileSync(path.join(dir, 'chars.csv'), `name,description\nMara,${d}`);
    const load = () => importStoryboard(path.join(dir, 'sb.csv'), { charactersFile: path.join(dir, 'chars.csv') });
    chars('a woman in a red coat');
    const session = ProjectSession.open(tmpDir('ltx-look-'), { registry: reg });
    let sb = await load();
    await session.render(sb, planStoryboard(sb.shots, reg, { provider: 'preview' }), { provider: 'preview' });
    chars('a woman in a green coat');
    sb = await load();
    const plan = planStoryboard(sb.shots, reg, { provider: 'preview' });
    const refused = await session.render(sb, plan, { provider: 'preview' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LookChangedError);
    expect((refused as Error).message).toBe("2 finished shot(s) would render again because the style or a character's description changed (shot 1, 3): up to $0.50. Nothing was queued.");
    expect(session.store.jobs()).toHaveLength(3);
    // A row's own change needs no confirmation; with acceptChanges the restyled shots render again, shot 2 is kept.
    const ok = await session.render(sb, plan, { provider: 'preview', acceptChanges: true });
    expect(ok.sync).toEqual({ queued: 2, kept: 1, resumed: 0, removed: 0 });
    expect(session.store.jobs().filter((j) => j.take === 2).map((j) => (JSON.parse(j.request) as { body: { prompt: string } }).body.prompt)).toEqual(['a woman in a green coat runs', 'a woman in a green coat waits']);
    fs.writeFileSync(path.join(dir, 'sb.csv'), 'shot,prompt,duration,resolution\n1,{Mara} sprints,0.4,64x36\n2,rain,0.4,64x36\n3,{Mara} waits,0.4,64x36');
    sb = await load();
    const own = await session.render(sb, planStoryboard(sb.shots, reg, { provider: 'preview' }), { provider: 'preview' });
    expect(own.sync.queued).toBe(1);
    session.close();
  });

  it('the CLI shows the look in the estimate and refuses a restyled render without --accept-changes', async () => {
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution\n1,{Mara} runs,0.4,64x36\n2,rain,0.4,64x36', 'chars.csv': 'name,description\nMara,a woman in a red coat' });
    const sbFile = path.join(dir, 'sb.csv');
    const est = await runCli(['estimate', sbFile, '--characters', path.join(dir, 'chars.csv'), '--style', 'film noir']);
    expect(est.code).toBe(0);
    expect(est.stdout).toContain('style: after it "film noir"');
    expect(est.stdout).toContain('characters: {Mara} (1 shot(s))');
    const out = tmpDir();
    const first = await runCli(['render', sbFile, '--out', out, '--characters', path.join(dir, 'chars.csv'), '--plain']);
    expect(first.code).toBe(0);
    const restyled = await runCli(['render', sbFile, '--out', out, '--characters', path.join(dir, 'chars.csv'), '--style', 'film noir', '--plain']);
    expect(restyled.code).toBe(1);
    expect(restyled.stderr).toContain("2 finished shot(s) would render again because the style or a character's description changed (shot 1, 2): up to $0.00. Nothing was queued.");
    expect(restyled.stderr).toContain('--accept-changes');
    const accepted = await runCli(['render', sbFile, '--out', out, '--characters', path.join(dir, 'chars.csv'), '--style', 'film noir', '--accept-changes', '--plain']);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain('0 take(s) kept from an earlier run, 0 resumed, 2 queued');
  });
});
