/**
 * Accessibility and layout of every screen, in browser mode: axe-core (Deque's maintained
 * engine, WCAG 2 A and AA rules) finds no serious or critical violation on any of the five
 * screens at 900, 1280 and 1920 px wide; every screen is reached with the keyboard alone; at 900 px the
 * sidebar collapses and no button is cut off. Screenshots go to test-results/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot, startHarness, startRenderOf, tempDir, type Harness } from './harness';

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SCREENS = ['import', 'shots', 'queue', 'timeline', 'settings'] as const;

/** Serious and critical WCAG 2 A/AA violations on the page as it is: "rule: target (summary)". */
async function violations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[]; failureSummary: string }[] }[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} (${n.failureSummary.split('\n').slice(0, 2).join(' ')})`));
  });
}

describe('accessibility and layout (browser mode)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    const dir = tempDir('ltx-a11y-');
    const file = path.join(dir, 'a11y.csv');
    fs.writeFileSync(file, 'shot,prompt,duration,resolution\n1,a harbour at dawn,1,64x36\n2,gulls over the pier,1,64x36\n3,the pier at night,1,64x36\n');
    // A project with clips, so the Queue and the Timeline have something to show.
    await startRenderOf(h.page, file, 'a11y');
    await h.page.getByTestId('render-finished').waitFor({ timeout: 60_000 });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  /** Buttons whose text is cut off (wider than the button shows), and the sidebar's width, on the screen shown. */
  const layout = (page: Page) =>
    page.evaluate(() => ({
      cut: Array.from(document.querySelectorAll<HTMLElement>('main button, main [role=button]'))
        .filter((b) => b.offsetParent !== null && b.getBoundingClientRect().width > 0)
        .filter((b) => {
          const label = b.querySelector<HTMLElement>('.mantine-Button-label') ?? b;
          // Past the window's edge counts as cut off, unless it is in a grid that scrolls sideways to it.
          return label.scrollWidth > label.clientWidth + 1 || (b.getBoundingClientRect().right > window.innerWidth + 1 && !b.closest('.vgrid-scroll'));
        })
        .map((b) => (b.textContent ?? '').trim() || b.getAttribute('aria-label') || '?'),
      sidebar: document.querySelector<HTMLElement>('[data-testid=sidebar]')!.getBoundingClientRect().width,
    }));

  for (const width of [1920, 1280, 900]) {
    it(`no serious or critical axe-core violation on any screen at ${width} px`, async () => {
      const { page } = h;
      await page.setViewportSize({ width, height: 900 });
      const found: string[] = [];
      for (const s of SCREENS) {
        await page.getByTestId(`nav-${s}`).click();
        await page.getByTestId(`screen-${s}`).waitFor();
        await page.waitForTimeout(300);
        for (const v of await violations(page)) found.push(`${s}: ${v}`);
        const l = await layout(page);
        for (const c of l.cut) found.push(`${s}: cut off: "${c}"`);
        if (width < 1100 && l.sidebar > 80) found.push(`${s}: the sidebar is ${l.sidebar} px wide at ${width} px`);
        await screenshot(page, `a11y-${s}-${width}.png`);
      }
      expect(found).toEqual([]);
    }, 90_000);
  }

  it('every screen is reached with the keyboard alone, and the grid keeps the focus through an edit', async () => {
    const { page } = h;
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByTestId('nav-import').click();
    // From the top of the page (a click on the app's name, which takes no focus): Tab reaches the
    // sidebar's links one after the other, and Enter opens each screen.
    await page.mouse.click(30, 20);
    for (const s of SCREENS) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(`nav-${s}`);
      await page.keyboard.press('Enter');
      await page.getByTestId(`screen-${s}`).waitFor();
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(`nav-${s}`);
    }
    // The Shots grid: arrows move between cells, Enter edits, Escape cancels and the focus stays on the cell.
    await page.getByTestId('nav-shots').click();
    await page.locator('[data-cell="prompt of row 2"]').focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-cell'))).toBe('prompt of row 3');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-cell'))).toBe('mode of row 3');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    await page.getByRole('textbox', { name: 'prompt of row 3' }).waitFor();
    await page.keyboard.type(' (not kept)');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-cell') === 'prompt of row 3');
    expect(await page.locator('[data-cell="prompt of row 3"]').textContent()).toBe('gulls over the pier');
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');
    await page.keyboard.type(', wide');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-cell') === 'prompt of row 3' && document.activeElement?.textContent === 'gulls over the pier, wide');
    expect(h.pageErrors).toEqual([]);
  }, 60_000);
});
