import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UpdateRefusal } from '../../src/fleet/ota/command.js';
import { UpdateEngineError } from '../../src/fleet/ota/engine.js';
import { JobStore } from '../../src/fleet/ota/job.js';
import { RaucEngine, reasonFromRaucStderr } from '../../src/fleet/ota/rauc-engine.js';
import { UpdateReporter } from '../../src/fleet/ota/reporter.js';
import { UpdateRunner } from '../../src/fleet/ota/update-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-ota-engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const nowhere = `unix:path=${join(dir, 'no-bus.sock')}`;

describe('RAUC engine without RAUC', () => {
  it('a missing bus is a prompt "unreachable" error, not a hang or a crash', async () => {
    const engine = new RaucEngine({ dbusAddress: nowhere });
    const err = await engine.compatible().catch((e) => e);
    expect(err).toBeInstanceOf(UpdateEngineError);
    expect(err.code).toBe('unreachable');
    expect(err.message).toMatch(/^RAUC service not reachable on D-Bus: .*ENOENT/);
    await engine.close();
  });

  it('an update command is refused with that reason and nothing is persisted', async () => {
    const store = new JobStore(join(dir, 'state'));
    const runner = new UpdateRunner({
      engine: new RaucEngine({ dbusAddress: nowhere }),
      store,
      lock: { isHeld: () => false },
      reporter: new UpdateReporter(() => {}, 1000),
      reboot: async () => {},
      bootId: async () => 'b',
      gate: () => ({ ok: true, failing: [] }),
      log: { info() {}, warn() {} },
      limits: { maxBundleBytes: 1e9, minFreeBytes: 0, gateTimeoutMs: 1000, defaultWindow: '' },
    });
    const err = await runner
      .accept({ url: 'http://127.0.0.1:1/b.raucb', sha256: 'a'.repeat(64), version: '1' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(UpdateRefusal);
    expect(err.code).toBe('failed');
    expect(err.message).toMatch(/^update engine not available: RAUC service not reachable/);
    expect(await store.load()).toBeUndefined();
    expect(await runner.runOnce()).toEqual({ kind: 'idle' });
  });
});

describe('rauc CLI reason extraction', () => {
  it('keeps the line that says why, without log prefixes', () => {
    const stderr = [
      'rauc-Message: 21:18:13.301: Reading bundle: /x.raucb',
      'rauc-Message: 21:18:13.301: Verifying bundle signature... ',
      'signature verification failed: Verify error: self-signed certificate',
      '',
    ].join('\n');
    expect(reasonFromRaucStderr(stderr)).toBe(
      'signature verification failed: Verify error: self-signed certificate',
    );
    expect(reasonFromRaucStderr('')).toBe('rejected by rauc');
  });
});
