/**
 * Liveness: what must hold for the supervisor to send WATCHDOG=1. Not "everything is healthy" —
 * an unplugged microphone is degraded, not dead, and restarting the process would not plug it in.
 * Liveness means the process still does its work: the event loop is not stalled and every loop
 * (the health loop and every component's ctx.every loops) keeps ticking.
 */
import type { LoopHandle } from './component.js';

export interface LivenessVerdict {
  ok: boolean;
  reason?: string;
}

/** Measures event-loop lag with a timer whose lateness is the lag. unref'd: never keeps us alive. */
export class EventLoopLagMonitor {
  private timer?: NodeJS.Timeout;
  private expected = 0;
  /** Worst lag seen in the current window; the window is reset by take(). */
  private worst = 0;
  lastTick = 0;

  constructor(private readonly periodMs = 50) {}

  start(): void {
    this.expected = performance.now() + this.periodMs;
    this.lastTick = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.worst = Math.max(this.worst, now - this.expected);
      this.expected = now + this.periodMs;
      this.lastTick = now;
    }, this.periodMs);
    this.timer.unref();
  }

  /** Current lag: the worst in the window, or the time since a tick was due if none came. */
  lagMs(now = performance.now()): number {
    return Math.max(this.worst, now - this.expected);
  }

  resetWindow(): void {
    this.worst = 0;
  }

  /** Forget everything measured so far, the tick now due included: startup work that blocked the
   *  loop before READY=1 is no liveness failure (systemd's watchdog only runs from READY=1 on). */
  restart(): void {
    this.worst = 0;
    this.expected = performance.now() + this.periodMs;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/** A loop is stale when it has not ticked for 3 intervals (at least 1 s). */
export function staleLoops(loops: Iterable<LoopHandle>, now: number): string[] {
  const stale: string[] = [];
  for (const l of loops) {
    if (now - l.lastTick > Math.max(3 * l.intervalMs, 1000)) stale.push(l.name);
  }
  return stale;
}

export function judgeLiveness(lagMs: number, maxLagMs: number, stale: string[]): LivenessVerdict {
  if (lagMs > maxLagMs)
    return { ok: false, reason: `event loop lag ${Math.round(lagMs)} ms > ${maxLagMs} ms` };
  if (stale.length > 0) return { ok: false, reason: `loops not ticking: ${stale.join(', ')}` };
  return { ok: true };
}
