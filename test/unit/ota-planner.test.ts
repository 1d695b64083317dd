import { describe, expect, it } from 'vitest';
import type { UpdateJob } from '../../src/fleet/ota/job.js';
import { type Facts, nextStep } from '../../src/fleet/ota/planner.js';
import { nextOpening, parseWindow, windowOpen } from '../../src/fleet/ota/window.js';

const at = (hhmm: string, day = 10) =>
  new Date(2026, 10, day, Number(hhmm.slice(0, 2)), Number(hhmm.slice(3, 5)));

function job(patch: Partial<UpdateJob> = {}): UpdateJob {
  return {
    id: 'upd-1',
    version: '1.4.0',
    url: 'http://x/b.raucb',
    sha256: 'a'.repeat(64),
    window: '',
    phase: 'downloading',
    downloadAttempts: 0,
    fromSlot: 'A',
    createdAt: '',
    updatedAt: '',
    ...patch,
  };
}

function facts(patch: Partial<Facts> = {}): Facts {
  return {
    now: at('12:00'),
    lockHeld: false,
    bootId: 'boot-1',
    bootSlot: 'A',
    gateTimeoutMs: 60_000,
    maxDownloadAttempts: 3,
    ...patch,
  };
}

describe('maintenance window', () => {
  it('opens inside a same-day window and across midnight', () => {
    expect(windowOpen(parseWindow('02:00-05:00'), at('03:10'))).toBe(true);
    expect(windowOpen(parseWindow('02:00-05:00'), at('05:00'))).toBe(false);
    expect(windowOpen(parseWindow('22:00-04:00'), at('23:30'))).toBe(true);
    expect(windowOpen(parseWindow('22:00-04:00'), at('03:59'))).toBe(true);
    expect(windowOpen(parseWindow('22:00-04:00'), at('12:00'))).toBe(false);
    expect(windowOpen(parseWindow(''), at('12:00'))).toBe(true);
  });
  it('names the next opening, tomorrow when today’s has passed', () => {
    expect(nextOpening(parseWindow('02:00-05:00'), at('12:00')).getTime()).toBe(at('02:00', 11).getTime());
    expect(nextOpening(parseWindow('14:00-15:00'), at('12:00')).getTime()).toBe(at('14:00').getTime());
  });
  it('rejects nonsense with the text in the message', () => {
    expect(() => parseWindow('25:00-01:00')).toThrow(/25:00-01:00/);
    expect(() => parseWindow('2-5')).toThrow(/HH:MM-HH:MM/);
  });
});

describe('update planner', () => {
  it('walks the pre-reboot phases in order, regardless of the conversation lock', () => {
    for (const lockHeld of [false, true]) {
      expect(nextStep(job(), facts({ lockHeld })).kind).toBe('download');
      expect(nextStep(job({ phase: 'verifying' }), facts({ lockHeld })).kind).toBe('verify');
      expect(nextStep(job({ phase: 'inspecting' }), facts({ lockHeld })).kind).toBe('inspect');
      expect(nextStep(job({ phase: 'installing' }), facts({ lockHeld })).kind).toBe('install');
    }
  });

  it('is idle without a job or after it finished', () => {
    expect(nextStep(undefined, facts())).toEqual({ kind: 'idle' });
    expect(nextStep(job({ phase: 'done' }), facts())).toEqual({ kind: 'idle' });
    expect(nextStep(job({ phase: 'failed' }), facts())).toEqual({ kind: 'idle' });
  });

  it('backs off download retries and gives up after the limit with the last reason', () => {
    const retrying = job({
      downloadAttempts: 1,
      retryAt: at('12:05').toISOString(),
      reason: 'socket hang up',
    });
    expect(nextStep(retrying, facts())).toMatchObject({ kind: 'wait', reason: 'retry' });
    expect(nextStep(retrying, facts({ now: at('12:06') })).kind).toBe('download');
    const step = nextStep(job({ downloadAttempts: 3, reason: 'socket hang up' }), facts());
    expect(step).toMatchObject({ kind: 'fail' });
    expect((step as { reason: string }).reason).toMatch(/3 times.*socket hang up/);
  });

  it('never reboots while the conversation lock is held — not even past the deadline', () => {
    const installed = job({ phase: 'installed', targetSlot: 'B', deadline: at('08:00').toISOString() });
    expect(nextStep(installed, facts({ lockHeld: true }))).toMatchObject({
      kind: 'wait',
      reason: 'conversation',
    });
    expect(nextStep(installed, facts({ lockHeld: false }))).toEqual({ kind: 'reboot', why: 'update' });
    const rollingBack = job({ phase: 'rolling_back', targetSlot: 'B' });
    expect(nextStep(rollingBack, facts({ lockHeld: true, bootSlot: 'B' }))).toMatchObject({
      kind: 'wait',
      reason: 'conversation',
    });
  });

  it('waits for the maintenance window, until the deadline forces the reboot', () => {
    const installed = job({ phase: 'installed', targetSlot: 'B', window: '02:00-05:00' });
    const wait = nextStep(installed, facts({ now: at('12:00') }));
    expect(wait).toMatchObject({ kind: 'wait', reason: 'window' });
    expect((wait as { until: Date }).until.getTime()).toBe(at('02:00', 11).getTime());
    expect(nextStep(installed, facts({ now: at('02:30') })).kind).toBe('reboot');
    const withDeadline = { ...installed, deadline: at('18:00').toISOString() };
    expect((nextStep(withDeadline, facts({ now: at('12:00') })) as { until: Date }).until.getTime()).toBe(
      at('18:00').getTime(),
    );
    expect(nextStep(withDeadline, facts({ now: at('18:00') })).kind).toBe('reboot');
  });

  it('after a reboot: checks health in the new slot, recognises a bootloader fallback and a missing reboot', () => {
    const rebooting = job({ phase: 'rebooting', targetSlot: 'B', rebootBootId: 'boot-1' });
    expect(nextStep(rebooting, facts({ bootId: 'boot-1', bootSlot: 'A' }))).toEqual({ kind: 'not_rebooted' });
    expect(nextStep(rebooting, facts({ bootId: 'boot-2', bootSlot: 'B' }))).toEqual({
      kind: 'landed',
      phase: 'checking',
    });
    const fallback = nextStep(rebooting, facts({ bootId: 'boot-2', bootSlot: 'A' }));
    expect(fallback).toMatchObject({ kind: 'landed', phase: 'failed', result: 'rolled_back' });
    expect((fallback as { reason: string }).reason).toMatch(/came back on slot A, not B/);
  });

  it('health gate: mark good when healthy, wait while not, mark bad after the timeout naming what failed', () => {
    const checking = job({ phase: 'checking', targetSlot: 'B', gateStartedAt: at('12:00').getTime() });
    const f = (now: string, ok: boolean) =>
      facts({ now: at(now), bootSlot: 'B', health: { ok, failing: ok ? [] : ['audio: device lost'] } });
    expect(nextStep(checking, f('12:00', true))).toEqual({ kind: 'mark_good' });
    expect(nextStep(checking, f('12:00', false))).toMatchObject({
      kind: 'wait',
      reason: 'health',
      detail: 'waiting for: audio: device lost',
    });
    const bad = nextStep(checking, f('12:01', false));
    expect(bad).toMatchObject({ kind: 'mark_bad' });
    expect((bad as { reason: string }).reason).toBe('health gate failed after 60 s: audio: device lost');
  });

  it('rollback: reboots back without waiting for the window, then reports rolled_back with the gate reason', () => {
    const rb = job({
      phase: 'rolling_back',
      targetSlot: 'B',
      window: '02:00-05:00',
      reason: 'health gate failed after 60 s: cloud: not registered',
    });
    expect(nextStep(rb, facts({ bootSlot: 'B', bootId: 'boot-2' }))).toEqual({
      kind: 'reboot',
      why: 'rollback',
    });
    const back = nextStep({ ...rb, rebootBootId: 'boot-2' }, facts({ bootSlot: 'A', bootId: 'boot-3' }));
    expect(back).toEqual({ kind: 'landed', phase: 'failed', result: 'rolled_back', reason: rb.reason });
    const stuck = nextStep({ ...rb, rebootBootId: 'boot-2' }, facts({ bootSlot: 'B', bootId: 'boot-3' }));
    expect(stuck).toMatchObject({ kind: 'landed', phase: 'failed', result: 'failed' });
  });

  it('a state file with an unknown phase fails the job instead of looping', () => {
    expect(nextStep(job({ phase: 'exploded' as UpdateJob['phase'] }), facts())).toMatchObject({
      kind: 'fail',
    });
  });
});
