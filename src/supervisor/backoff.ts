/**
 * Exponential backoff with full jitter (AWS architecture blog's "full jitter"): the delay is drawn
 * uniformly from [c·(1−j/2), c] with c = min(cap, initial·2^attempt), so a fleet that lost its broker at the same
 * moment does not reconnect in lockstep, and a failing part never spins in a tight loop.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** 0 → deterministic; 1 → delay uniformly in [ceiling/2, ceiling]. */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;

  constructor(private readonly opts: BackoffOptions) {}

  /** The delay before the next attempt; each call counts one failure. */
  next(): number {
    const ceiling = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    const jitter = this.opts.jitter ?? 0.5;
    const r = (this.opts.random ?? Math.random)();
    return Math.round(ceiling * (1 - jitter / 2 + (jitter / 2) * r));
  }

  get failures(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
