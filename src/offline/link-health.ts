/**
 * Link health as a pure state machine: the cloud provider reports what happens on its socket
 * (connected, closed, connect failed, any server event, ping sent, response expected/started/done);
 * `evaluate(now)` turns that into `online | degraded | offline` with a reason.
 *
 * Why these rules (numbers in config `offline.link`, README has the budget):
 *  - A silent server is the common failure (tunnel, NAT timeout, half-open TCP): nothing closes, so
 *    only our own clocks notice it. Two clocks: a ping unanswered for pongTimeoutMs, and — faster
 *    while someone waits for an answer — no server event at all for silentServerMs.
 *  - A closed socket or a refused connection is offline unless a reconnect succeeds within a short
 *    grace (one quick reconnect should not make the terminal change voice).
 *  - Slow is as bad as gone for a person at a window: slowResponsesOffline slow first responses in
 *    a row → offline; one slow response → degraded.
 *  - Hysteresis: leaving degraded/offline needs recoverAfterMs of continuous health (connected,
 *    pongs on time, no slow response); going down is immediate. No flapping at the edge.
 */

/** Once offline for slowness, slow responses are forgotten after this many recoverAfterMs. */
const SLOW_FORGET_FACTOR = 2;

export type LinkState = 'online' | 'degraded' | 'offline';

export interface LinkThresholds {
  pongTimeoutMs: number;
  silentServerMs: number;
  slowResponseMs: number;
  slowResponsesOffline: number;
  reconnectGraceMs: number;
  recoverAfterMs: number;
  /** Before the first connection attempt has ended either way, "not connected" is not a failure yet. */
  startupGraceMs?: number;
}

/** What a RealtimeProvider adapter reports. Each method takes the time (ms, monotonic). */
export interface LinkSignals {
  connected(nowMs: number): void;
  /** The socket closed (any code) or errored. */
  closed(nowMs: number, reason: string): void;
  /** Connecting failed: DNS, TLS, refused, HTTP error on upgrade. */
  connectFailed(nowMs: number, reason: string): void;
  /** Any message from the server (pong included). */
  serverEvent(nowMs: number): void;
  pingSent(nowMs: number): void;
  pong(nowMs: number): void;
  /** We committed a turn / asked for a response: the server owes us an answer. */
  responseExpected(nowMs: number): void;
  /** The first event of that response arrived (created / first audio). */
  responseStarted(nowMs: number): void;
  /** The response finished (done / cancelled). */
  responseDone(nowMs: number): void;
}

export interface LinkVerdict {
  state: LinkState;
  /** Why (for logs, health and the bus): e.g. "no pong for 1300 ms". */
  reason: string;
  /** Last measured first-response latency, ms. */
  lastResponseMs?: number;
}

export class LinkHealth implements LinkSignals {
  private state: LinkState;
  private reason = 'not connected yet';
  private isConnected = false;
  /** No connect attempt has succeeded or failed yet (boot). */
  private booting = true;
  private downSince: number | undefined;
  private downReason = '';
  private lastServerEvent = 0;
  private pingOutstandingSince: number | undefined;
  private expectingSince: number | undefined;
  private slowInARow = 0;
  private lastResponseMs: number | undefined;
  private lastSlowAt = 0;
  /** Start of the current unbroken healthy stretch (for hysteresis). */
  private healthySince: number | undefined;

  constructor(
    private readonly t: LinkThresholds,
    nowMs: number,
    initial: LinkState = 'offline',
  ) {
    this.state = initial;
    this.downSince = nowMs;
    this.downReason = 'not connected yet';
  }

  connected(nowMs: number): void {
    this.booting = false;
    this.isConnected = true;
    this.downSince = undefined;
    this.lastServerEvent = nowMs;
    this.pingOutstandingSince = undefined;
    this.expectingSince = undefined; // a new session owes nothing from the old one
  }
  closed(nowMs: number, reason: string): void {
    if (this.isConnected || this.downSince === undefined) this.downSince = nowMs;
    this.isConnected = false;
    this.downReason = `socket closed: ${reason}`;
    this.healthySince = undefined;
  }
  connectFailed(nowMs: number, reason: string): void {
    this.booting = false;
    this.isConnected = false;
    this.downSince ??= nowMs;
    this.downReason = `connect failed: ${reason}`;
    this.healthySince = undefined;
  }
  serverEvent(nowMs: number): void {
    this.lastServerEvent = nowMs;
  }
  pingSent(nowMs: number): void {
    this.pingOutstandingSince ??= nowMs;
  }
  pong(nowMs: number): void {
    this.pingOutstandingSince = undefined;
    this.lastServerEvent = nowMs;
  }
  responseExpected(nowMs: number): void {
    this.expectingSince ??= nowMs;
  }
  responseStarted(nowMs: number): void {
    this.lastServerEvent = nowMs;
    if (this.expectingSince === undefined) return;
    const ms = nowMs - this.expectingSince;
    this.lastResponseMs = ms;
    this.expectingSince = undefined;
    if (ms > this.t.slowResponseMs) {
      this.slowInARow++;
      this.lastSlowAt = nowMs;
      this.healthySince = undefined;
    } else this.slowInARow = 0;
  }
  responseDone(nowMs: number): void {
    this.lastServerEvent = nowMs;
    this.expectingSince = undefined;
  }

  /** What is wrong right now, worst first; undefined when nothing is. */
  private problem(nowMs: number): { state: 'degraded' | 'offline'; reason: string } | undefined {
    if (!this.isConnected) {
      const down = nowMs - (this.downSince ?? nowMs);
      const grace = this.booting
        ? Math.max(this.t.reconnectGraceMs, this.t.startupGraceMs ?? 0)
        : this.t.reconnectGraceMs;
      return down >= grace
        ? { state: 'offline', reason: this.downReason }
        : { state: 'degraded', reason: `${this.downReason} (reconnecting)` };
    }
    if (
      this.pingOutstandingSince !== undefined &&
      nowMs - this.pingOutstandingSince >= this.t.pongTimeoutMs
    ) {
      return { state: 'offline', reason: `no pong for ${Math.round(nowMs - this.pingOutstandingSince)} ms` };
    }
    if (this.expectingSince !== undefined) {
      const silent = nowMs - Math.max(this.lastServerEvent, this.expectingSince);
      if (silent >= this.t.silentServerMs)
        return {
          state: 'offline',
          reason: `server silent for ${Math.round(silent)} ms while a response is due`,
        };
      const waiting = nowMs - this.expectingSince;
      if (waiting > this.t.slowResponseMs) {
        // This response is slow already: it counts before it arrives, so N slow ones go offline on time.
        if (this.slowInARow + 1 >= this.t.slowResponsesOffline)
          return { state: 'offline', reason: `${this.slowInARow + 1} slow responses in a row` };
        return { state: 'degraded', reason: `response pending ${Math.round(waiting)} ms` };
      }
    }
    // While turns still go to the cloud, only a fast answer clears slowness (a reply and the customer's
    // next sentence easily outlast any timer). Once offline, no turns go to the cloud, so the evidence
    // must age out or a link that went offline for slowness could never prove itself again.
    const aged = nowMs - this.lastSlowAt >= SLOW_FORGET_FACTOR * this.t.recoverAfterMs;
    if (this.slowInARow > 0 && this.state === 'offline' && aged) this.slowInARow = 0;
    if (this.slowInARow >= this.t.slowResponsesOffline)
      return { state: 'offline', reason: `${this.slowInARow} slow responses in a row` };
    if (this.slowInARow > 0)
      return { state: 'degraded', reason: `last response took ${this.lastResponseMs} ms` };
    return undefined;
  }

  evaluate(nowMs: number): LinkVerdict {
    const p = this.problem(nowMs);
    if (p) {
      this.healthySince = undefined;
      // Down is immediate; offline never softens to degraded without first being healthy.
      if (!(this.state === 'offline' && p.state === 'degraded')) this.state = p.state;
      this.reason = this.state === p.state ? p.reason : `${p.reason}; recovering from offline`;
    } else {
      this.healthySince ??= nowMs;
      if (this.state !== 'online' && nowMs - this.healthySince >= this.t.recoverAfterMs) {
        this.state = 'online';
        this.reason = 'healthy';
      } else if (this.state !== 'online') {
        this.reason = `healthy for ${Math.round(nowMs - this.healthySince)} ms of ${this.t.recoverAfterMs}`;
      } else this.reason = 'healthy';
    }
    return { state: this.state, reason: this.reason, lastResponseMs: this.lastResponseMs };
  }
}
