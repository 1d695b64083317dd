/**
 * SessionKeeper: keeps one provider session alive for the conversation engine.
 *  - connects with exponential backoff + jitter (never a tight loop) and reconnects after drops,
 *    expiry and server closes;
 *  - rotates before the cap at a turn boundary (make-before-break: the new session is ready before
 *    the old one is closed), carrying recent transcript lines forward as history;
 *  - forwards only the CURRENT session's events, tagged with its generation, so audio of an old
 *    session can never reach the loudspeaker after a reconnect or rotation.
 */
import { Backoff } from '../supervisor/backoff.js';
import type {
  HistoryLine,
  ProviderEvent,
  RealtimeProvider,
  SessionStartOptions,
  ToolSpec,
} from './provider.js';
import { planRotation } from './rotation.js';

export type KeeperEvent =
  | (ProviderEvent & { generation: number })
  | { type: 'link'; up: boolean; generation: number; reason?: string };

export interface KeeperOptions {
  create: () => RealtimeProvider;
  instructions: string;
  tools: ToolSpec[];
  backoff: { initialMs: number; maxMs: number };
  /** Realtime 60 min; Live uses expires_at when it is earlier. */
  capMs: number;
  rotateMarginMs: number;
  hardMarginMs: number;
  /** Transcript lines carried into the next session. */
  historyLines: number;
  now?: () => number;
  random?: () => number;
  onError?: (err: unknown) => void;
}

export class SessionKeeper {
  private provider?: RealtimeProvider;
  private unsubscribe?: () => void;
  private generation = 0;
  private readonly backoff: Backoff;
  private timer?: NodeJS.Timeout;
  /** A (re)connect is scheduled and has not fired yet. */
  private retryPending = false;
  private stopped = true;
  private connecting = false;
  private connectedAt = 0;
  private expiresAt?: number;
  private readonly history: HistoryLine[] = [];
  private readonly listeners = new Set<(e: KeeperEvent) => void>();
  readonly stats = {
    connects: 0,
    failures: 0,
    rotations: 0,
    reconnects: 0,
    recycles: 0,
    ignored: 0,
    lastDelayMs: 0,
  };

  constructor(private readonly o: KeeperOptions) {
    this.backoff = new Backoff({ initialMs: o.backoff.initialMs, maxMs: o.backoff.maxMs, random: o.random });
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  on(l: (e: KeeperEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private emit(e: KeeperEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** The session audio and commands go to (undefined while the link is down). */
  get current(): RealtimeProvider | undefined {
    return this.provider?.connected ? this.provider : undefined;
  }

  get currentGeneration(): number {
    return this.generation;
  }

  start(): void {
    this.stopped = false;
    void this.connect('start');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const p = this.provider;
    this.detach();
    await p?.close();
  }

  /** Final transcript lines, recorded for carry-over. */
  remember(line: HistoryLine, glue = false): void {
    if (!line.text.trim()) return;
    const last = this.history[this.history.length - 1];
    // Live streams transcript deltas: glue consecutive pieces of one speaker into one line.
    if (glue && last && last.role === line.role) last.text += line.text;
    else this.history.push({ ...line });
    while (this.history.length > this.o.historyLines) this.history.shift();
  }

  /**
   * Lines the model never heard (the offline flow's exchange): remembered for the next session, and
   * told to the open one at once — a session built while the link was coming back already has its
   * history, so remembering alone would reach only the session after it.
   */
  carryOver(lines: HistoryLine[]): void {
    for (const l of lines) this.remember(l);
    const p = this.provider;
    if (p?.connected) p.addContext(lines.filter((l) => l.text.trim()));
  }

  get carriedHistory(): HistoryLine[] {
    return this.history.map((h) => ({ ...h, text: h.text.trim() }));
  }

  /** Called periodically by the owner with whether the conversation is at a turn boundary. */
  tick(atTurnBoundary: boolean): void {
    if (this.stopped || this.connecting || !this.provider?.connected) return;
    const d = planRotation({
      now: this.now(),
      connectedAt: this.connectedAt,
      expiresAt: this.expiresAt,
      capMs: this.o.capMs,
      marginMs: this.o.rotateMarginMs,
      hardMarginMs: this.o.hardMarginMs,
      atTurnBoundary,
    });
    if (d === 'rotate') void this.connect('rotate');
  }

  /**
   * Link health says the session is dead although its socket never closed (a black-holed TCP
   * connection can stay "open" for minutes): start a replacement in the background, with backoff.
   * The old session stays attached until the new one is up (then it is closed), so nothing of it
   * plays afterwards and nothing is lost if the old link was only slow.
   */
  recycle(): void {
    if (this.stopped || this.connecting || this.retryPending) return;
    this.stats.recycles++;
    this.scheduleRetry('retry');
  }

  private startOptions(): SessionStartOptions {
    return { instructions: this.o.instructions, history: this.carriedHistory, tools: this.o.tools };
  }

  private async connect(why: 'start' | 'retry' | 'rotate'): Promise<void> {
    if (this.stopped || this.connecting) return;
    this.connecting = true;
    const next = this.o.create();
    const generation = this.generation + 1;
    // Events of a session are forwarded only while it is the current one.
    const pending: ProviderEvent[] = [];
    let live = false;
    const unsub = next.on((e) => {
      if (!live) {
        pending.push(e);
        return;
      }
      if (this.generation !== generation) return;
      this.onProviderEvent(e, generation);
    });
    try {
      this.stats.connects++;
      await next.connect(this.startOptions());
    } catch (err) {
      unsub();
      this.connecting = false;
      this.stats.failures++;
      this.o.onError?.(err);
      if (why === 'rotate') {
        // The old session still works; try again at the next tick after a backoff delay.
        this.scheduleRetry('rotate');
      } else this.scheduleRetry('retry');
      return;
    }
    this.connecting = false;
    if (this.stopped) {
      unsub();
      await next.close();
      return;
    }
    const old = this.provider;
    const oldUnsub = this.unsubscribe;
    this.provider = next;
    this.unsubscribe = unsub;
    this.generation = generation;
    this.connectedAt = this.now();
    this.expiresAt = undefined;
    this.backoff.reset();
    if (why === 'rotate') this.stats.rotations++;
    if (why === 'retry') this.stats.reconnects++;
    oldUnsub?.();
    live = true;
    this.emit({ type: 'link', up: true, generation, reason: why });
    for (const e of pending) this.onProviderEvent(e, generation);
    if (old) void old.close();
  }

  private onProviderEvent(e: ProviderEvent, generation: number): void {
    if (e.type === 'ready' && e.expiresAt) this.expiresAt = e.expiresAt;
    if (e.type === 'transcript' && e.final) this.remember({ role: e.role, text: e.text });
    else if (e.type === 'transcript' && this.provider?.kind === 'gpt-live')
      this.remember({ role: e.role, text: e.text }, true);
    if (e.type === 'ignored') this.stats.ignored++;
    if (e.type === 'closed') {
      this.detach();
      this.emit({ ...e, generation });
      this.emit({ type: 'link', up: false, generation, reason: e.reason });
      if (e.reason !== 'client') this.scheduleRetry('retry');
      return;
    }
    this.emit({ ...e, generation });
  }

  private detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.provider = undefined;
  }

  private scheduleRetry(why: 'retry' | 'rotate'): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    // An expired session is normal: reconnect at once (first delay only); failures back off.
    const delay = this.backoff.next();
    this.stats.lastDelayMs = delay;
    this.retryPending = true;
    this.timer = setTimeout(() => {
      this.retryPending = false;
      void this.connect(why);
    }, delay);
  }
}
