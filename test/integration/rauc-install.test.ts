/**
 * The whole update path against the real `rauc service` on a private D-Bus with file-backed slots
 * and a custom bootloader backend (see test/helpers/ota-rauc-rig.ts), driven over a real mosquitto:
 *
 *   update command → download → sha256 → RAUC Info → InstallBundle (Progress, Completed)
 *   → reboot deferred by the conversation lock and the maintenance window (until the deadline)
 *   → "reboot" → health gate → Mark good                                        (good path)
 *   → "reboot" → health gate fails → Mark bad + Mark active other → reboot back  (rollback path)
 *
 * What cannot run here: a real reboot and a real bootloader. A reboot is simulated by stopping the
 * supervisor, restarting `rauc service` as the slot the boot backend says is primary, and starting
 * a fresh supervisor on the same state dir with a new boot id.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RaucEngine } from '../../src/fleet/ota/rauc-engine.js';
import { conversationLockFor } from '../../src/supervisor/conversation-lock.js';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { type RangeServer, startRangeServer } from '../helpers/ota-range-server.js';
import { type RaucRig, startRaucRig } from '../helpers/ota-rauc-rig.js';
import {
  connectOperator,
  type Operator,
  retainedUpdate,
  startTerminal,
  type Terminal,
} from '../helpers/ota-terminal.js';
import { scaled } from '../helpers/time-scale.js';

const ID = `otainstall${process.pid}`;
const PASSING_GATE = { healthGate: { requiredComponents: ['fleet'], waiveCloud: true, timeoutS: 10 } };
// No conversation component runs here, so the cloud session is never up: this gate must fail.
const FAILING_GATE = { healthGate: { requiredComponents: ['fleet'], waiveCloud: false, timeoutS: 10 } };

let rig: RaucRig;
let engine: RaucEngine;
let broker: Mosquitto;
let http: RangeServer;
let op: Operator;
let work: string;
let terminal: Terminal | undefined;
let boots = 0;

/** Start a supervisor as after a fresh boot (new boot id) or a plain restart (same boot id). */
async function startSupervisor(
  update: Record<string, unknown>,
  newBoot: boolean,
  failReboots = 0,
): Promise<Terminal> {
  if (newBoot) boots++;
  terminal = await startTerminal({
    failReboots,
    id: ID,
    brokerUrl: broker.url,
    stateDir: join(work, 'state'),
    busAddress: rig.busAddress,
    raucConf: rig.confPath,
    bootId: `boot-${boots}`,
    update,
  });
  return terminal;
}

/** The simulated reboot: supervisor down, the "bootloader" picks the primary slot, supervisor up. */
async function reboot(update: Record<string, unknown>): Promise<string> {
  await terminal?.stop();
  const slot = rig.primary();
  await rig.boot(slot);
  await startSupervisor(update, true);
  return slot;
}

function localHHMM(d: Date): string {
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

beforeAll(async () => {
  rig = await startRaucRig();
  engine = new RaucEngine({ dbusAddress: rig.busAddress });
  broker = await startMosquitto();
  http = await startRangeServer();
  work = mkdtempSync(join(tmpdir(), 'vt-ota-install-'));
  op = await connectOperator(broker.url, ID);
}, scaled(60_000));

afterAll(async () => {
  op?.close();
  await terminal?.stop();
  await engine?.close();
  await http?.close();
  await broker?.dispose();
  await rig?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('update through real RAUC', () => {
  it('good path: installs while a person talks, reboots only after the lock clears and the deadline overrides the window, then marks good', async () => {
    const t1 = await startSupervisor(PASSING_GATE, true);
    const release = conversationLockFor(t1.services.bus).acquire('customer talking');
    const bundle = rig.buildBundle({ version: '2.0.0' });
    http.serve('v2.raucb', bundle.path);
    const now = new Date();
    const closedWindow = `${localHHMM(new Date(now.getTime() + 2 * 3600_000))}-${localHHMM(new Date(now.getTime() + 3 * 3600_000))}`;
    // the download + install must finish before the deadline: it stretches under arm64 emulation
    const deadline = new Date(now.getTime() + scaled(20_000));

    const r = await op.command(
      'update',
      {
        url: http.url('v2.raucb'),
        sha256: bundle.sha256,
        version: '2.0.0',
        size: bundle.size,
        window: closedWindow,
        deadline: deadline.toISOString(),
      },
      't-v2',
    );
    expect(r).toMatchObject({ ok: true, result: { phase: 'downloading' } });

    // Download + install proceed during the conversation; the reboot waits for the lock.
    const waiting = await op.waitUpdate(
      (p) => p.phase === 'installed' && p.waiting?.reason === 'conversation',
    );
    expect(waiting.targetSlot).toBe('B');
    expect(readFileSync(rig.slotFile('B')).subarray(0, 16).toString()).toBe('voiceterm 2.0.0\n');
    expect(rig.primary()).toBe('B');
    const install = op.updates.filter((u) => u.payload.progress?.stage === 'install');
    expect(install.length).toBeGreaterThan(0);
    expect(install.every((u) => !u.retain)).toBe(true);
    expect(install.at(-1)?.payload.progress?.percent).toBe(100);
    expect(op.updates.some((u) => u.payload.progress?.stage === 'download')).toBe(true);
    await new Promise((res) => setTimeout(res, 2500));
    expect(t1.rebootCount()).toBe(0);

    // Lock released: now the closed maintenance window holds it, until the deadline.
    release();
    const windowWait = await op.waitUpdate((p) => p.waiting?.reason === 'window');
    expect(Date.parse(windowWait.waiting?.until ?? '')).toBe(deadline.getTime());
    expect(t1.rebootCount()).toBe(0);
    await t1.rebootRequested;
    expect(Date.now()).toBeGreaterThanOrEqual(deadline.getTime());
    expect(t1.rebootCount()).toBe(1);
    await op.waitUpdate((p) => p.phase === 'rebooting');

    // "Reboot": the bootloader boots B; the new supervisor resumes the job and runs the health gate.
    expect(await reboot(PASSING_GATE)).toBe('B');
    const done = await op.waitUpdate((p) => p.phase === 'done');
    expect(done).toMatchObject({ version: '2.0.0', result: 'updated', fromSlot: 'A', targetSlot: 'B' });
    expect(rig.bootCalls()).toContain('set-state B good');
    const slots = await engine.slots();
    expect(slots.find((s) => s.bootname === 'B')).toMatchObject({
      state: 'booted',
      bootStatus: 'good',
      bundleVersion: '2.0.0',
      sha256: expect.any(String),
    });
    expect(await retainedUpdate(broker.url, ID)).toMatchObject({ phase: 'done', result: 'updated' });
  });

  it('rollback path: the health gate fails in the new slot → Mark bad, old slot active, reboot back, reported as rolled back', {
    timeout: scaled(90_000),
  }, async () => {
    // Same boot, supervisor restarted with a gate the new slot will fail (no cloud session).
    await terminal?.stop();
    const t = await startSupervisor(FAILING_GATE, false);
    const bundle = rig.buildBundle({ version: '3.0.0' });
    http.serve('v3.raucb', bundle.path);
    const since = op.updates.length;
    const r = await op.command(
      'update',
      { url: http.url('v3.raucb'), sha256: bundle.sha256, version: '3.0.0' },
      't-v3',
    );
    expect(r).toMatchObject({ ok: true });
    await t.rebootRequested; // no lock, no window: straight after the install
    expect(rig.primary()).toBe('A');
    expect(readFileSync(rig.slotFile('A')).subarray(0, 16).toString()).toBe('voiceterm 3.0.0\n');

    expect(await reboot(FAILING_GATE)).toBe('A');
    await op.waitUpdate((p) => p.phase === 'checking', 30_000, since);
    const rollingBack = await op.waitUpdate((p) => p.phase === 'rolling_back', 30_000, since);
    expect(rollingBack.reason).toBe('health gate failed after 10 s: cloud: not reachable');
    await terminal?.rebootRequested;
    expect(rig.bootCalls()).toContain('set-state A bad');
    expect(rig.primary()).toBe('B');

    expect(await reboot(FAILING_GATE)).toBe('B');
    const failed = await op.waitUpdate((p) => p.phase === 'failed', 30_000, since);
    expect(failed).toMatchObject({
      version: '3.0.0',
      result: 'rolled_back',
      reason: 'health gate failed after 10 s: cloud: not reachable',
    });
    const slots = await engine.slots();
    expect(slots.find((s) => s.bootname === 'A')?.bootStatus).toBe('bad');
    expect(slots.find((s) => s.bootname === 'B')).toMatchObject({ state: 'booted', bundleVersion: '2.0.0' });
    expect(await retainedUpdate(broker.url, ID)).toMatchObject({ phase: 'failed', result: 'rolled_back' });
  });

  it('bootloader fallback (after a refused reboot request): the new slot never comes up, the old one boots again → rolled back', async () => {
    await terminal?.stop();
    // The first reboot request is refused (as without the polkit rule): the job must not fail, it
    // steps back to `installed` and asks again after update.rebootRetryS.
    const t = await startSupervisor({ ...PASSING_GATE, rebootRetryS: 2 }, false, 1);
    const bundle = rig.buildBundle({ version: '4.0.0' });
    http.serve('v4.raucb', bundle.path);
    const since = op.updates.length;
    await op.command(
      'update',
      { url: http.url('v4.raucb'), sha256: bundle.sha256, version: '4.0.0' },
      't-v4',
    );
    const refused = await op.waitUpdate(
      (p) => p.phase === 'installed' && (p.reason ?? '').startsWith('reboot request failed'),
      30_000,
      since,
    );
    expect(refused.reason).toBe('reboot request failed: Interactive authentication required.');
    await t.rebootRequested;
    expect(t.rebootCount()).toBe(2);
    expect(rig.primary()).toBe('A');
    // The bootloader's boot counter gives up on A and boots B again (as if A never reached userspace).
    await t.stop();
    await rig.boot('B');
    await startSupervisor(PASSING_GATE, true);
    const failed = await op.waitUpdate((p) => p.phase === 'failed', 30_000, since);
    expect(failed).toMatchObject({ version: '4.0.0', result: 'rolled_back' });
    expect(failed.reason).toMatch(/came back on slot B, not A/);
  });
});
