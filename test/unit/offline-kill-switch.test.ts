import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KillSwitchStore } from '../../src/offline/kill-switch.js';

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'vt-kill-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('kill switch store', () => {
  it('is off when never set, and a set value survives a new store (a restart)', () => {
    const dir = fresh();
    expect(new KillSwitchStore(dir).get().on).toBe(false);
    new KillSwitchStore(dir).set(true, 'fleet: incident 42');
    const again = new KillSwitchStore(dir).get();
    expect(again).toMatchObject({ on: true, reason: 'fleet: incident 42' });
    // Same file and shape the fleet component writes and reads.
    expect(JSON.parse(readFileSync(join(dir, 'kill-switch.json'), 'utf8'))).toMatchObject({
      on: true,
      reason: 'fleet: incident 42',
    });
    new KillSwitchStore(dir).set(false);
    expect(new KillSwitchStore(dir).get().on).toBe(false);
  });

  it("reads the fleet component's file format", () => {
    const dir = fresh();
    writeFileSync(
      join(dir, 'kill-switch.json'),
      JSON.stringify({ on: true, since: '2026-01-01T00:00:00.000Z', reason: 'remote' }),
    );
    expect(new KillSwitchStore(dir).get()).toEqual({
      on: true,
      since: '2026-01-01T00:00:00.000Z',
      reason: 'remote',
    });
  });

  it('an unreadable file fails safe: AI off, with the reason', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'kill-switch.json'), '{"on": tru');
    const s = new KillSwitchStore(dir);
    expect(s.get().on).toBe(true);
    expect(s.loadError).toMatch(/kill-switch.json/);
    writeFileSync(join(dir, 'kill-switch.json'), '{"on": "yes"}');
    expect(new KillSwitchStore(dir).get().on).toBe(true);
  });

  it('a failed write throws and does not change the state', () => {
    const dir = fresh();
    const file = join(dir, 'blocker');
    writeFileSync(file, 'x'); // a file where the state dir should be
    const s = new KillSwitchStore(join(file, 'sub'));
    expect(s.get().on).toBe(true); // cannot even read it (ENOTDIR): held on
    expect(() => s.set(false, 'operator')).toThrow(/ENOTDIR/);
    expect(s.get().on).toBe(true);
  });
});
