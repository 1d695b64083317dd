import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveDeviceId, resolveDeviceId } from '../../src/fleet/device-id.js';
import { boundedBundle } from '../../src/fleet/diagnostics.js';
import { bootSlot, buildHealth, type HealthInputs, HealthThrottle } from '../../src/fleet/health.js';
import { ReconnectScheduler } from '../../src/fleet/reconnect.js';
import { Redactor } from '../../src/observability/redaction.js';

function inputs(over: Partial<HealthInputs> = {}): HealthInputs {
  return {
    now: new Date(0),
    uptimeS: 12.4,
    version: '0.1.0',
    metrics: {
      counters: { 'audio.xruns': 2 },
      gauges: { 'system.cpu_pct': 7, 'frontend.erle_db': 21.5 },
      histograms: { 'cloud.latency_ms': { count: 3, p50: 120.123, p95: 300, max: 310 } },
    },
    components: { audio: { state: 'running', healthy: true } },
    queue: { depth: 0, bytes: 0, dropped: 0 },
    link: { state: 'online', reconnects: 0 },
    killSwitch: false,
    handoffMode: 'auto',
    ...over,
  };
}

describe('health snapshots', () => {
  it('carry every subsystem metric without fleet knowing their names', () => {
    const h = buildHealth(inputs());
    expect(h.uptimeS).toBe(12);
    expect(h.system.cpuPct).toBe(7);
    expect(h.metrics.gauges['frontend.erle_db']).toBe(21.5);
    expect(h.metrics.counters['audio.xruns']).toBe(2);
    expect(h.metrics.histograms['cloud.latency_ms'].p50).toBe(120.12);
  });

  it('send on significant change, throttled; periodic always', () => {
    const t = new HealthThrottle(5000);
    expect(t.shouldSend(buildHealth(inputs()), 0, true)).toBe(true);
    // A gauge moving is not significant.
    expect(
      t.shouldSend(
        buildHealth(inputs({ metrics: { counters: {}, gauges: { x: 1 }, histograms: {} } })),
        100,
        false,
      ),
    ).toBe(false);
    const failed = buildHealth(inputs({ components: { audio: { state: 'failed', healthy: false } } }));
    expect(t.shouldSend(failed, 1000, false)).toBe(false); // within the gap: held back
    expect(t.shouldSend(failed, 5000, false)).toBe(true); // after the gap: sent
    expect(t.shouldSend(failed, 20000, false)).toBe(false); // nothing new
    expect(t.shouldSend(failed, 20001, true)).toBe(true);
    expect(t.shouldSend(buildHealth(inputs({ killSwitch: true })), 30000, false)).toBe(true);
  });

  it('reads the RAUC boot slot from the kernel command line', () => {
    const d = mkdtempSync(join(tmpdir(), 'vt-cmdline-'));
    writeFileSync(join(d, 'cmdline'), 'console=ttyS0 rauc.slot=B root=/dev/mmcblk0p3\n');
    expect(bootSlot(join(d, 'cmdline'))).toBe('B');
    expect(bootSlot(join(d, 'missing'))).toBeUndefined();
    rmSync(d, { recursive: true });
  });
});

describe('reconnect scheduler', () => {
  it('backs off exponentially with jitter and resets after a stable connection', () => {
    const delays: number[] = [];
    const s = new ReconnectScheduler({ initialMs: 100, maxMs: 1000, random: () => 1 }, 30_000);
    for (let i = 0; i < 6; i++) delays.push(s.schedule(() => {}, 0));
    s.cancel();
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    s.connected(0);
    expect(s.schedule(() => {}, 60_000)).toBe(100);
    s.cancel();
    const low = new ReconnectScheduler({ initialMs: 100, maxMs: 1000, random: () => 0 });
    expect(low.schedule(() => {}, 0)).toBe(50); // full jitter: [ceiling/2, ceiling]
    low.cancel();
  });
});

describe('device id', () => {
  it('uses the configured id, else an app-specific hash of the machine id', () => {
    expect(resolveDeviceId('lane-7')).toBe('lane-7');
    const d = mkdtempSync(join(tmpdir(), 'vt-mid-'));
    writeFileSync(join(d, 'machine-id'), '0123456789abcdef0123456789abcdef\n');
    const id = resolveDeviceId('', join(d, 'machine-id'));
    expect(id).toMatch(/^vt-[0-9a-f]{12}$/);
    expect(id).toBe(deriveDeviceId('0123456789abcdef0123456789abcdef'));
    expect(id).not.toContain('0123456789ab');
    expect(resolveDeviceId('', join(d, 'missing'))).toMatch(/^vt-[0-9a-f]{12}$/);
    rmSync(d, { recursive: true });
  });
});

describe('diagnostics bundle', () => {
  it('is redacted and cut to the size bound, oldest logs first', () => {
    const logs = Array.from({ length: 2000 }, (_, i) => `line ${i} card 4111 1111 1111 1111`);
    const b = boundedBundle({ logs, healthHistory: [{ a: 1 }] }, new Redactor(), 16 * 1024);
    const text = JSON.stringify(b);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(16 * 1024);
    expect(text).not.toContain('4111');
    expect(b.truncated).toBe(true);
    expect((b.logs as string[]).at(-1)).toBe('line 1999 card [card]');
  });
});

describe('persisted kill switch', () => {
  it('is off when never set, as written when set, and ON when the file is unreadable', async () => {
    const { readKillSwitch, writeJsonAtomic } = await import('../../src/fleet/state-store.js');
    const d = mkdtempSync(join(tmpdir(), 'vt-ks-'));
    expect(readKillSwitch(d).on).toBe(false);
    writeJsonAtomic(join(d, 'kill-switch.json'), { on: true, since: 'x', reason: 'ops' });
    expect(readKillSwitch(d)).toEqual({ on: true, since: 'x', reason: 'ops' });
    writeFileSync(join(d, 'kill-switch.json'), '{"on": tru');
    expect(readKillSwitch(d).on).toBe(true);
    rmSync(d, { recursive: true });
  });
});
