import { scaled } from './time-scale.js';

/**
 * Polls cond every 10 ms until it holds; throws after ms (stretched by VOICETERM_TEST_TIME_SCALE).
 * For state reached asynchronously.
 */
export async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + scaled(ms);
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
