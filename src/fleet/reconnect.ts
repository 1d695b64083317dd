/**
 * Our own reconnect scheduler (mqtt.js only knows a fixed period): exponential backoff with full
 * jitter, reset after a connection has stayed up for `stableMs`, so a fleet that lost its broker
 * together does not come back in lockstep and a flapping link backs off.
 */
import { Backoff } from '../supervisor/backoff.js';

export class ReconnectScheduler {
  private readonly backoff: Backoff;
  private timer?: NodeJS.Timeout;
  private connectedAt?: number;
  attempts = 0;

  constructor(
    opts: { initialMs: number; maxMs: number; random?: () => number },
    private readonly stableMs = 30_000,
  ) {
    this.backoff = new Backoff({
      initialMs: opts.initialMs,
      maxMs: opts.maxMs,
      jitter: 1,
      random: opts.random,
    });
  }

  connected(now = performance.now()): void {
    this.connectedAt = now;
  }

  /** Schedule `attempt` after the next backoff delay; returns the delay. Replaces a pending one. */
  schedule(attempt: () => void, now = performance.now()): number {
    if (this.connectedAt !== undefined && now - this.connectedAt >= this.stableMs) this.backoff.reset();
    this.connectedAt = undefined;
    const delay = this.backoff.next();
    this.cancel();
    this.attempts++;
    this.timer = setTimeout(attempt, delay);
    return delay;
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
