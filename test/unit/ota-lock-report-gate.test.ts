import { describe, expect, it } from 'vitest';
import { evaluateGate } from '../../src/fleet/ota/health-gate.js';
import type { UpdateJob } from '../../src/fleet/ota/job.js';
import { UpdateReporter, type UpdateStatePayload } from '../../src/fleet/ota/reporter.js';
import { EventBus } from '../../src/supervisor/bus.js';
import { ConversationLock, conversationLockFor } from '../../src/supervisor/conversation-lock.js';

describe('conversation lock', () => {
  it('counts holders, releases idempotently and publishes every change on the bus', () => {
    const bus = new EventBus();
    const seen: Array<{ held: boolean; holders: number }> = [];
    bus.on('conversation.lock', (e) => seen.push({ held: e.held, holders: e.holders }));
    const lock = conversationLockFor(bus);
    expect(conversationLockFor(bus)).toBe(lock);
    const r1 = lock.acquire('customer talking');
    const r2 = lock.acquire('tool confirmation');
    expect(lock.isHeld()).toBe(true);
    expect(lock.reasons()).toEqual(['customer talking', 'tool confirmation']);
    r1();
    r1();
    expect(lock.isHeld()).toBe(true);
    r2();
    expect(lock.isHeld()).toBe(false);
    expect(seen).toEqual([
      { held: true, holders: 1 },
      { held: true, holders: 2 },
      { held: true, holders: 1 },
      { held: false, holders: 0 },
    ]);
  });

  it('waitUntilFree resolves only when the last holder releases, and rejects when aborted', async () => {
    const lock = new ConversationLock();
    await lock.waitUntilFree(); // free: at once
    const release = lock.acquire('talking');
    let freed = false;
    const waiting = lock.waitUntilFree().then(() => (freed = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(freed).toBe(false);
    release();
    await waiting;
    expect(freed).toBe(true);

    const again = lock.acquire('talking');
    const ac = new AbortController();
    const aborted = lock.waitUntilFree(ac.signal);
    ac.abort(new Error('component stopping'));
    await expect(aborted).rejects.toThrow('component stopping');
    again();
  });
});

describe('update reporter', () => {
  const job = (phase: UpdateJob['phase'], extra: Partial<UpdateJob> = {}): UpdateJob => ({
    id: 'upd-1',
    version: '1.4.0',
    url: '',
    sha256: '',
    window: '',
    phase,
    downloadAttempts: 0,
    createdAt: '',
    updatedAt: '',
    ...extra,
  });

  it('publishes state changes retained (once each) and progress not retained, throttled', () => {
    const out: Array<{ p: UpdateStatePayload; retain: boolean }> = [];
    let now = 0;
    const r = new UpdateReporter(
      (p, o) => out.push({ p, retain: o.retain }),
      1000,
      () => now,
    );
    r.state(job('downloading'));
    r.state(job('downloading'));
    r.progress(job('downloading'), { stage: 'download', percent: 10 });
    now = 500;
    r.progress(job('downloading'), { stage: 'download', percent: 40 }); // throttled
    now = 1200;
    r.progress(job('downloading'), { stage: 'download', percent: 70 });
    now = 1300;
    r.progress(job('downloading'), { stage: 'download', percent: 100 }); // final one always
    r.state(job('failed', { result: 'failed', reason: 'verifying: sha256 mismatch' }));
    expect(out.map((o) => [o.retain, o.p.phase, o.p.progress?.percent ?? o.p.reason ?? null])).toEqual([
      [true, 'downloading', null],
      [false, 'downloading', 10],
      [false, 'downloading', 70],
      [false, 'downloading', 100],
      [true, 'failed', 'verifying: sha256 mismatch'],
    ]);
  });

  it('a new waiting reason is a state change', () => {
    const out: UpdateStatePayload[] = [];
    const r = new UpdateReporter((p) => out.push(p), 1000);
    r.state(job('installed'), { reason: 'conversation', detail: 'a conversation is in progress' });
    r.state(job('installed'), { reason: 'conversation', detail: 'a conversation is in progress' });
    r.state(job('installed'), { reason: 'window', detail: 'outside', until: '2026-11-11T02:00:00.000Z' });
    expect(out.map((p) => p.waiting?.reason)).toEqual(['conversation', 'window']);
  });
});

describe('health gate', () => {
  type H = { healthy: boolean; summary?: string; details?: Record<string, unknown> };
  const health: Record<string, H> = {
    audio: { healthy: false, summary: 'device lost' },
    fleet: { healthy: true, details: { link: 'offline' } },
    conversation: { healthy: true, details: { link: false } },
  };
  const lookup = (n: string) => health[n];
  const cfg = { requiredComponents: ['audio', 'frontend', 'fleet'], waiveCloud: false };

  it('lists every failing condition by name', () => {
    expect(evaluateGate(cfg, false, lookup)).toEqual({
      ok: false,
      failing: [
        'supervisor: not ready',
        'audio: device lost',
        'frontend: not registered',
        'broker: not connected (offline)',
        'cloud: not reachable',
      ],
    });
  });

  it('passes when everything is up; the cloud can be waived', () => {
    health.audio = { healthy: true };
    health.fleet.details = { link: 'online' };
    const required = { ...cfg, requiredComponents: ['audio', 'fleet'] };
    expect(evaluateGate(required, true, lookup)).toEqual({ ok: false, failing: ['cloud: not reachable'] });
    expect(evaluateGate({ ...required, waiveCloud: true }, true, lookup)).toEqual({ ok: true, failing: [] });
    health.conversation.details = { link: true };
    expect(evaluateGate(required, true, lookup)).toEqual({ ok: true, failing: [] });
  });
});
