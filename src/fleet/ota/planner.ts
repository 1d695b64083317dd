/**
 * The update planner: a pure function from (persisted job, facts about the world now) to the next
 * step. No I/O, no clock of its own — the executor gathers facts, asks, performs the step, persists
 * the new phase, asks again (balena-supervisor's planner/executor split). Every rule about *when*
 * something may happen lives here and is tested without RAUC, D-Bus or timers:
 *
 * - Download, verify, inspect and install may run while a person is talking (they only use the
 *   inactive slot and the data partition).
 * - A reboot never happens while the conversation lock is held. Not even the deadline overrides it.
 * - A reboot into a new version waits for the maintenance window unless the deadline has passed.
 *   A reboot back after a failed health gate does not wait for the window (the new slot is broken),
 *   only for the lock.
 * - After a reboot, the boot id tells whether the machine really rebooted (a supervisor restart
 *   alone must not be mistaken for a bootloader rollback), and the booted slot tells where we landed.
 */
import { TERMINAL, type UpdateJob } from './job.js';
import { nextOpening, parseWindow, windowOpen } from './window.js';

export interface Facts {
  now: Date;
  lockHeld: boolean;
  /** Kernel boot id now. */
  bootId: string;
  /** Bootname RAUC says we run from now. */
  bootSlot: string;
  /** The health gate's verdict now (only asked in phase `checking`). */
  health?: { ok: boolean; failing: string[] };
  gateTimeoutMs: number;
  maxDownloadAttempts: number;
}

export type WaitReason = 'conversation' | 'window' | 'health' | 'retry' | 'reboot' | 'engine';

export type Step =
  | { kind: 'idle' }
  | { kind: 'download' }
  | { kind: 'verify' }
  | { kind: 'inspect' }
  | { kind: 'install' }
  | { kind: 'wait'; reason: WaitReason; until?: Date; detail: string }
  | { kind: 'reboot'; why: 'update' | 'rollback' }
  /** We are back after a reboot request: record where we landed. */
  | { kind: 'landed'; phase: 'checking' | 'done' | 'failed'; result?: UpdateJob['result']; reason?: string }
  /** The reboot request did not reboot the machine (same boot id): ask again. */
  | { kind: 'not_rebooted' }
  | { kind: 'mark_good' }
  | { kind: 'mark_bad'; reason: string }
  | { kind: 'fail'; reason: string };

function deadlinePassed(job: UpdateJob, now: Date): boolean {
  return job.deadline !== undefined && now.getTime() >= Date.parse(job.deadline);
}

/** May we reboot now? Undefined when yes, otherwise the wait step. */
function rebootGate(job: UpdateJob, f: Facts, honourWindow: boolean): Step | undefined {
  if (f.lockHeld)
    return { kind: 'wait', reason: 'conversation', detail: 'a conversation is in progress; reboot deferred' };
  if (!honourWindow || deadlinePassed(job, f.now)) return undefined;
  const w = parseWindow(job.window);
  if (windowOpen(w, f.now)) return undefined;
  let until = nextOpening(w, f.now);
  if (job.deadline !== undefined && Date.parse(job.deadline) < until.getTime())
    until = new Date(job.deadline);
  return {
    kind: 'wait',
    reason: 'window',
    until,
    detail: `outside maintenance window ${job.window}; reboot at ${until.toISOString()}`,
  };
}

export function nextStep(job: UpdateJob | undefined, f: Facts): Step {
  if (!job || TERMINAL.has(job.phase)) return { kind: 'idle' };
  switch (job.phase) {
    case 'downloading':
      if (job.downloadAttempts >= f.maxDownloadAttempts) {
        return {
          kind: 'fail',
          reason: `download failed ${job.downloadAttempts} times; last: ${job.reason ?? 'unknown'}`,
        };
      }
      if (job.retryAt !== undefined && f.now.getTime() < Date.parse(job.retryAt)) {
        return {
          kind: 'wait',
          reason: 'retry',
          until: new Date(job.retryAt),
          detail: `download retry after: ${job.reason ?? 'error'}`,
        };
      }
      return { kind: 'download' };
    case 'verifying':
      return { kind: 'verify' };
    case 'inspecting':
      return { kind: 'inspect' };
    case 'installing':
      return { kind: 'install' };
    case 'installed':
      return rebootGate(job, f, true) ?? { kind: 'reboot', why: 'update' };
    case 'rebooting':
      if (f.bootId === job.rebootBootId) return { kind: 'not_rebooted' };
      if (f.bootSlot === job.targetSlot) return { kind: 'landed', phase: 'checking' };
      return {
        kind: 'landed',
        phase: 'failed',
        result: 'rolled_back',
        reason: `rebooted but came back on slot ${f.bootSlot}, not ${job.targetSlot}: the new slot did not boot (bootloader fallback)`,
      };
    case 'checking': {
      if (f.bootSlot !== job.targetSlot) {
        return {
          kind: 'landed',
          phase: 'failed',
          result: 'rolled_back',
          reason: `running from slot ${f.bootSlot} during the health gate`,
        };
      }
      if (f.health?.ok) return { kind: 'mark_good' };
      const started = job.gateStartedAt ?? f.now.getTime();
      const failing = f.health?.failing.join(', ') || 'not evaluated';
      if (f.now.getTime() - started >= f.gateTimeoutMs) {
        return {
          kind: 'mark_bad',
          reason: `health gate failed after ${Math.round(f.gateTimeoutMs / 1000)} s: ${failing}`,
        };
      }
      return {
        kind: 'wait',
        reason: 'health',
        until: new Date(started + f.gateTimeoutMs),
        detail: `waiting for: ${failing}`,
      };
    }
    case 'rolling_back':
      if (f.bootId !== job.rebootBootId && job.rebootBootId !== undefined) {
        if (f.bootSlot === job.fromSlot)
          return { kind: 'landed', phase: 'failed', result: 'rolled_back', reason: job.reason };
        return {
          kind: 'landed',
          phase: 'failed',
          result: 'failed',
          reason:
            `rollback reboot landed on ${f.bootSlot}, expected ${job.fromSlot}; ${job.reason ?? ''}`.trim(),
        };
      }
      return rebootGate(job, f, false) ?? { kind: 'reboot', why: 'rollback' };
    default:
      return { kind: 'fail', reason: `unknown job phase ${JSON.stringify(job.phase)} in the state file` };
  }
}
