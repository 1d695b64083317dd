/**
 * The conversation lock: held by the duplex engine while a person is talking with the terminal, so
 * that nothing disruptive (a reboot into a new update slot) happens mid-sentence. Work that is only
 * slow (downloads, installs into the inactive slot) may proceed; only the disruptive step waits.
 *
 * One lock per supervisor: components reach it through the shared event bus with
 * `conversationLockFor(ctx.bus)`, so no constructor wiring is needed on either side.
 *
 *   const release = conversationLockFor(ctx.bus).acquire('customer talking');
 *   ...
 *   release();            // idempotent; a second call does nothing
 *
 * Holders are counted: the lock is free only when every acquire has been released. Each change
 * publishes `conversation.lock` on the bus (fleet telemetry and traces can record it).
 */
import type { EventBus } from './bus.js';

declare module './bus.js' {
  interface BusEvents {
    'conversation.lock': { held: boolean; holders: number; reason: string };
  }
}

export type ReleaseFn = () => void;

export class ConversationLock {
  private readonly holders = new Map<number, string>();
  private nextId = 1;
  private waiters: Array<() => void> = [];

  constructor(private readonly bus?: EventBus) {}

  /** Take the lock for `reason` (e.g. "customer talking"); returns the release function. */
  acquire(reason: string): ReleaseFn {
    const id = this.nextId++;
    this.holders.set(id, reason);
    this.publish(reason);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders.delete(id);
      this.publish(reason);
      if (this.holders.size === 0) this.wakeWaiters();
    };
  }

  isHeld(): boolean {
    return this.holders.size > 0;
  }

  /** The reasons of the current holders, oldest first (for status lines and refusals). */
  reasons(): string[] {
    return [...this.holders.values()];
  }

  /**
   * Resolves when nobody holds the lock (at once if free). An aborted signal rejects with its reason
   * so a stopping component does not leave a promise hanging.
   */
  waitUntilFree(signal?: AbortSignal): Promise<void> {
    if (!this.isHeld()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        reject(signal?.reason ?? new Error('aborted'));
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(wake);
    });
  }

  private wakeWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private publish(reason: string): void {
    this.bus?.emit('conversation.lock', { held: this.isHeld(), holders: this.holders.size, reason });
  }
}

const locks = new WeakMap<EventBus, ConversationLock>();

/** The one lock of the supervisor that owns `bus` (created on first use). */
export function conversationLockFor(bus: EventBus): ConversationLock {
  let lock = locks.get(bus);
  if (!lock) {
    lock = new ConversationLock(bus);
    locks.set(bus, lock);
  }
  return lock;
}
