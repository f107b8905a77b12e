import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inKeyringSession } from '../helpers/keyring';
import { ROOT, tmpDir, withFiles } from '../helpers/tmp';
import { startLtx2apiSimulator, type Ltx2apiSimulator } from '../simulators/ltx2api';

const CLI = `node ${path.join(ROOT, 'bin', 'ltx-batch.js')}`;
const KEY = 'sk-ltx2api-REAL-SECRET-77f3a9c1';

let sim: Ltx2apiSimulator;
beforeAll(async () => {
  sim = await startLtx2apiSimulator({ apiKey: KEY, renderMs: 30 });
});
afterAll(() => sim.close());

describe('provider keys in a real Secret Service (gnome-keyring over D-Bus)', () => {
  it('keys set reads standard input and stores under service "ltx-batch", account = provider id; list shows only the last 4', async () => {
    const r = await inKeyringSession(`printf '%s' '${KEY}' | ${CLI} keys set ltx2api && ${CLI} keys list && echo "LOOKUP=$(secret-tool lookup service ltx-batch username ltx2api)"`, { LTX_BATCH_HOME: tmpDir() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('stored the key for ltx2api in the OS keychain (…a9c1)');
    expect(r.stdout).toMatch(/ltx2api\s+│ set \(…a9c1\)\s+│ keychain/);
    // secret-tool reads the same entry back: it is really in the keyring.
    expect(r.stdout).toContain(`LOOKUP=${KEY}`);
    // Nothing but the LOOKUP line (printed by secret-tool, not by us) contains the key.
    expect(r.stdout.replace(`LOOKUP=${KEY}`, '')).not.toContain(KEY.slice(0, -4));
  });

  it('keys test makes a no-cost authenticated call: accepted for the right key, rejected for a wrong one; keys delete removes it', async () => {
    const env = { LTX2API_BASE_URL: sim.baseUrl, LTX_BATCH_HOME: tmpDir() };
    const before = sim.submissions.length;
    const r = await inKeyringSession(`printf '%s' '${KEY}' | ${CLI} keys set ltx2api >/dev/null && ${CLI} keys test ltx2api; echo "rc=$?"; printf 'wrong-key-0000' | ${CLI} keys set ltx2api >/dev/null && ${CLI} keys test ltx2api; echo "rc=$?"; ${CLI} keys delete ltx2api; secret-tool lookup service ltx-batch username ltx2api; echo "lookup=$?"`, env);
    expect(r.stdout).toContain('ltx2api: key accepted');
    expect(r.stdout).toContain('rc=0');
    expect(r.stderr).toContain('ltx2api: key rejected (HTTP 401)');
    expect(r.stdout).toContain('rc=1');
    expect(r.stdout).toContain('deleted the key for ltx2api');
    expect(r.stdout).toContain('lookup=1');
    expect(sim.submissions.length).toBe(before);
  });

  it('the environment variable wins over the keychain', async () => {
    const r = await inKeyringSession(`printf 'keychain-key-1111' | ${CLI} keys set ltx2api >/dev/null; ${CLI} keys list`, { LTX2API_API_KEY: 'env-key-2222', LTX_BATCH_HOME: tmpDir() });
    expect(r.stdout).toMatch(/ltx2api\s+│ set \(…2222\)\s+│ LTX2API_API_KEY/);
  });

  it('with no Secret Service the error says so and how to fix it, and nothing is written anywhere', async () => {
    const home = tmpDir();
    const r = await inKeyringSession(`printf '%s' '${KEY}' | DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent ${CLI} keys set ltx2api; echo "rc=$?"`, { LTX_BATCH_HOME: home });
    expect(r.stderr).toContain('the OS keychain is not available');
    expect(r.stderr).toContain('gnome-keyring-daemon --unlock');
    expect(r.stderr).toContain('LTX2API_API_KEY');
    expect(r.stdout).toContain('rc=1');
    const files = fs.readdirSync(home, { recursive: true }) as string[];
    for (const f of files) {
      const p = path.join(home, f);
      if (fs.statSync(p).isFile()) expect(fs.readFileSync(p).includes(Buffer.from(KEY))).toBe(false);
    }
  });

  it('after a full render with the key in the keychain, the key is in none of: project.sqlite and its WAL, settings, the output, errors', async () => {
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution\n1,a harbour at dawn,5,480p\n2,a storm,5,480p\n3,"this one fails",5,480p\n' });
    const out = tmpDir();
    const home = tmpDir();
    sim.faults.push({ kind: 'server-error', count: 2, on: 'submit', status: 503 });
    const r = await inKeyringSession(
      `printf '%s' '${KEY}' | ${CLI} keys set ltx2api >/dev/null && ${CLI} render ${dir}/sb.csv --out ${out} --provider ltx2api --plain; echo "rc=$?"; ${CLI} spend; ${CLI} estimate ${dir}/sb.csv --provider ltx2api --json`,
      { LTX2API_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.001', LTX_BATCH_HOME: home },
    );
    expect(r.stdout).toContain('rc=0');
    expect(r.stdout).toContain('3 succeeded');
    const haystacks: [string, Buffer][] = [['stdout', Buffer.from(r.stdout)], ['stderr', Buffer.from(r.stderr)]];
    for (const base of [out, home]) {
      for (const f of fs.readdirSync(base, { recursive: true }) as string[]) {
        const p = path.join(base, f);
        if (fs.statSync(p).isFile()) haystacks.push([p, fs.readFileSync(p)]);
      }
    }
    expect(haystacks.map(([n]) => path.basename(n))).toEqual(expect.arrayContaining(['project.sqlite', 'settings.sqlite']));
    for (const [name, data] of haystacks) expect({ name, leaked: data.includes(Buffer.from(KEY)) }).toEqual({ name, leaked: false });
  });
});

describe('a key saved in the app is live at once', () => {
  it('the providers\' lookup gives a key saved or deleted through its store at once, not after its 30 s cache', async () => {
    const { keychainLookup } = await import('../../main/secrets/key-lookup');
    const entries = new Map<string, string>();
    const k = keychainLookup({ get: (id) => entries.get(id), set: (id, key) => void entries.set(id, key), delete: (id) => entries.delete(id) });
    expect(k.lookup('ltx')).toBeUndefined();
    k.store.set('ltx', 'sk-new-key-1234');
    expect(k.lookup('ltx')).toBe('sk-new-key-1234');
    k.store.delete('ltx');
    expect(k.lookup('ltx')).toBeUndefined();
  });
});
