/** A re-run of `render` on a changed storyboard says what changed, in shots, and what it costs. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { withFiles } from '../helpers/tmp';

describe('ltx-batch render on a changed storyboard', () => {
  it('prints the shots changed, added and removed since the last render', async () => {
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution\n1,a door,0.4,64x36\n2,it opens,0.4,64x36\n3,light,0.4,64x36\n' });
    const out = path.join(dir, 'out');
    const sb = path.join(dir, 'sb.csv');
    const first = await runCli(['render', sb, '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).not.toMatch(/changed since the last render/);
    fs.writeFileSync(sb, 'shot,prompt,duration,resolution\n1,a door,0.4,64x36\n2,it opens slowly,0.4,64x36\n4,darkness,0.4,64x36\n');
    const again = await runCli(['render', sb, '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('the storyboard changed since the last render: 1 changed (2), 1 added (4), 1 removed (3), +$0.00 to render');
    const same = await runCli(['render', sb, '--out', out]);
    expect(same.stdout).not.toMatch(/changed since the last render/);
  }, 60_000);
});
