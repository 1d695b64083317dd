import { describe, expect, it } from 'vitest';
import { ConversationActivityLock } from '../../src/conversation/activity-lock.js';
import { EventBus } from '../../src/supervisor/bus.js';
import { conversationLockFor } from '../../src/supervisor/conversation-lock.js';

describe('ConversationActivityLock', () => {
  it('holds the shared conversation lock from the first activity until idleMs of quiet', () => {
    const bus = new EventBus();
    const lock = conversationLockFor(bus);
    const activity = new ConversationActivityLock((r) => lock.acquire(r), 30_000);
    expect(lock.isHeld()).toBe(false);
    activity.touch(1000);
    activity.touch(1010); // per-frame touches take the lock once
    expect(lock.isHeld()).toBe(true);
    activity.tick(20_000);
    expect(lock.isHeld()).toBe(true); // a pause to read the menu is still the conversation
    activity.touch(25_000);
    activity.tick(54_999);
    expect(lock.isHeld()).toBe(true);
    activity.tick(55_000);
    expect(lock.isHeld()).toBe(false);
    activity.touch(60_000);
    expect(lock.isHeld()).toBe(true);
    activity.dispose();
    expect(lock.isHeld()).toBe(false);
  });
});
