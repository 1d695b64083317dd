/** Small waiting helpers for the ALSA integration tests. */
import { scaled } from './time-scale.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls cond every 10 ms until it holds; throws with `what` after timeoutMs (× VOICETERM_TEST_TIME_SCALE). */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + scaled(timeoutMs);
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
