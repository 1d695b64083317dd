/**
 * Holds the conversation lock (src/supervisor/conversation-lock.ts) while a person is in a
 * conversation with the terminal, so fleet actions that would cut them off (an update's reboot, a
 * remote restart) wait. A conversation is open from the first sign of it (the customer starts
 * speaking, the agent starts a reply, a barge-in) until nothing has happened for `idleMs`: a
 * customer who pauses to read the menu is still in the conversation.
 */
import type { ReleaseFn } from '../supervisor/conversation-lock.js';

export class ConversationActivityLock {
  private release?: ReleaseFn;
  private lastActivity = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly acquire: (reason: string) => ReleaseFn,
    private readonly idleMs = 30_000,
  ) {}

  get held(): boolean {
    return this.release !== undefined;
  }

  /** Something conversational happened at `now` (ms, monotonic). Cheap: safe to call per frame. */
  touch(now: number): void {
    this.lastActivity = now;
    this.release ??= this.acquire('conversation in progress');
  }

  /** Called periodically: lets go of the lock once the conversation has been idle for idleMs. */
  tick(now: number): void {
    if (this.release && now - this.lastActivity >= this.idleMs) this.dispose();
  }

  dispose(): void {
    const r = this.release;
    this.release = undefined;
    r?.();
  }
}
