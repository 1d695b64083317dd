import { afterEach, describe, expect, it } from 'vitest';
import { Backoff } from '../../src/supervisor/backoff.js';
import type { Component, ComponentContext, ComponentHealth } from '../../src/supervisor/component.js';
import { judgeLiveness, staleLoops } from '../../src/supervisor/liveness.js';
import type { Notifier } from '../../src/supervisor/notify/notifier.js';
import { statusLine } from '../../src/supervisor/status.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { testServices } from '../helpers/services.js';
import { until } from '../helpers/until.js';

/** Records what the supervisor would send to systemd (the real socket is tested in integration). */
class RecordingNotifier implements Notifier {
  readonly enabled = true;
  readonly sent: string[] = [];
  constructor(readonly watchdogMs: number | undefined = undefined) {}
  send(message: string): void {
    this.sent.push(message);
  }
}

const order: string[] = [];

class Probe implements Component {
  starts = 0;
  stops = 0;
  throwInLoop = false;
  failStart = false;
  constructor(readonly name: string) {}
  async start(ctx: ComponentContext): Promise<void> {
    this.starts++;
    order.push(`start:${this.name}`);
    if (this.failStart) throw new Error('cannot open');
    ctx.every('work', 20, () => {
      if (this.throwInLoop) throw new Error('boom in loop');
    });
  }
  async stop(): Promise<void> {
    this.stops++;
    order.push(`stop:${this.name}`);
  }
  health(): ComponentHealth {
    return { healthy: true, summary: `${this.starts} starts` };
  }
}

let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.stop();
  sup = undefined;
  order.length = 0;
});

function make(notifier = new RecordingNotifier()) {
  const s = testServices({
    supervisor: { restartBackoffMs: { initial: 50, max: 200 }, healthIntervalMs: 50 },
  });
  sup = new Supervisor({ ...s, notifier, version: 'test' });
  return { s, notifier, sup };
}

describe('Supervisor', () => {
  it('starts in order, stops in reverse, and notifies READY then STOPPING', async () => {
    const { notifier, sup } = make();
    sup.add(new Probe('a')).add(new Probe('b')).add(new Probe('c'));
    await sup.start();
    expect(notifier.sent[0]).toBe('READY=1');
    expect(notifier.sent.some((m) => m.startsWith('STATUS=voiceterm test ok'))).toBe(true);
    await sup.stop();
    expect(order).toEqual(['start:a', 'start:b', 'start:c', 'stop:c', 'stop:b', 'stop:a']);
    expect(notifier.sent).toContain('STOPPING=1');
  });

  it('restarts a component whose loop throws, reports it unhealthy meanwhile, and keeps the others running', async () => {
    const { s, sup } = make();
    const bad = new Probe('bad');
    const good = new Probe('good');
    const states: string[] = [];
    s.bus.on('component.state', (e) => {
      if (e.component === 'bad') states.push(e.state);
    });
    sup.add(good).add(bad);
    await sup.start();
    bad.throwInLoop = true;
    await until(() => states.includes('failed'));
    expect(sup.health().bad.healthy).toBe(false);
    expect(sup.health().bad.lastError).toBe('boom in loop');
    bad.throwInLoop = false;
    await until(() => bad.starts >= 2 && sup.health().bad.state === 'running');
    expect(sup.health().bad.restarts).toBeGreaterThanOrEqual(1);
    expect(sup.health().good.state).toBe('running');
    expect(good.starts).toBe(1);
    expect(s.metrics.counter('supervisor.component_restarts.bad')).toBeGreaterThanOrEqual(1);
    expect(s.logs.some((l) => l.component === 'bad' && l.msg === 'component failed')).toBe(true);
  });

  it('keeps retrying a component that fails to start, with growing delays', async () => {
    const { sup } = make();
    const p = new Probe('flaky');
    p.failStart = true;
    sup.add(p);
    await sup.start(); // READY is still sent: the terminal runs degraded
    await until(() => p.starts >= 3);
    expect(sup.health().flaky.state).not.toBe('running');
    p.failStart = false;
    await until(() => sup.health().flaky.state === 'running', 5000);
  });

  it('fails liveness when a component loop stops ticking', async () => {
    const { sup } = make();
    let hang = false;
    sup.add({
      name: 'hanger',
      async start(ctx) {
        ctx.every('work', 50, async () => {
          if (hang) await new Promise(() => {});
        });
      },
      async stop() {},
      health: () => ({ healthy: true }),
    });
    await sup.start();
    expect(sup.liveness().ok).toBe(true);
    hang = true;
    await until(() => !sup.liveness().ok, 3000);
    expect(sup.liveness().reason).toMatch(/hanger\.work/);
  });
});

describe('liveness and helpers', () => {
  it('does not count startup work before READY=1 as event-loop lag (the watchdog runs from READY=1)', async () => {
    const { sup } = make();
    sup.add({
      name: 'slow-start',
      async start() {
        const end = performance.now() + 600; // e.g. onnxruntime building its sessions
        while (performance.now() < end);
      },
      async stop() {},
      health: () => ({ healthy: true }),
    });
    await sup.start();
    expect(sup.liveness()).toEqual({ ok: true });
  });

  it('judges lag and stale loops', () => {
    expect(judgeLiveness(10, 250, []).ok).toBe(true);
    expect(judgeLiveness(300, 250, []).reason).toMatch(/lag 300 ms/);
    const loops = [{ name: 'x', intervalMs: 100, lastTick: 0, stop() {} }];
    expect(staleLoops(loops, 999)).toEqual([]);
    expect(staleLoops(loops, 1001)).toEqual(['x']);
  });

  it('backs off exponentially with bounded jitter', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 1, random: () => 1 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000]);
    const low = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 1, random: () => 0 });
    expect(low.next()).toBe(50);
  });

  it('summarises state in one line', () => {
    const line = statusLine('1.2.3', [
      { name: 'audio', state: 'running', health: { healthy: true, summary: 'room' } },
      { name: 'fleet', state: 'failed', health: { healthy: false } },
    ]);
    expect(line).toBe('voiceterm 1.2.3 degraded (1/2): audio ok (room); fleet failed');
  });

  it('clips a long summary so the components after it stay on the line', () => {
    const long = `failed: ${'x'.repeat(500)}`;
    const line = statusLine('1.2.3', [
      { name: 'conversation', state: 'starting', health: { healthy: false, summary: long } },
      { name: 'audio', state: 'running', health: { healthy: true, summary: 'room sim' } },
    ]);
    expect(line.length).toBeLessThanOrEqual(400);
    expect(line).toMatch(/conversation starting \(failed: x+…\); audio ok \(room sim\)$/);
  });
});
