/** Scoring helpers for the bargein bench: positions in samples of the capture clock (16 kHz). */
import type { ConversationHarness } from './harness.js';

export function firstNonSilent(x: Float32Array, thr = 1e-3): number {
  for (let i = 0; i < x.length; i++) if (Math.abs(x[i]) > thr) return i;
  return 0;
}

export function lastNonSilent(x: Float32Array, thr = 1e-3): number {
  for (let i = x.length - 1; i >= 0; i--) if (Math.abs(x[i]) > thr) return i;
  return x.length - 1;
}

/** The first audible DAC sample at or after `from` (−1 if none before `to`). */
export function firstAudibleFrom(h: ConversationHarness, from: number, to = h.sample): number {
  const F = h.dev.config.frameSamples;
  for (let f = Math.floor(from / F); f * F < to && f < h.frames; f++) {
    if (h.dacLast[f] >= 0) {
      // the first non-silent sample of that frame is not recorded; the frame start is within 10 ms
      return Math.max(from, f * F);
    }
  }
  return -1;
}

/**
 * The last audible DAC sample before the loudspeaker goes quiet for `quietFrames` frames,
 * searching from `from`. Returns −1 if it never goes quiet.
 */
export function lastAudibleBeforeQuiet(h: ConversationHarness, from: number, quietFrames = 10): number {
  const F = h.dev.config.frameSamples;
  let quiet = 0;
  let lastAudible = -1;
  for (let f = Math.max(0, Math.floor(from / F) - 50); f < h.frames; f++) {
    if (h.dacLast[f] >= 0) {
      quiet = 0;
      lastAudible = f * F + h.dacLast[f];
    } else if (f * F >= from) {
      quiet++;
      if (quiet >= quietFrames) return lastAudible;
    }
  }
  return -1;
}

/** First frame at or after sample `from` where the front-end flagged near-end speech; returns the sample at that frame's end. */
export function vadDecisionAt(
  h: ConversationHarness,
  from: number,
  to: number,
  flags = h.nearEndLikely,
): number {
  const F = h.dev.config.frameSamples;
  for (let f = Math.floor(from / F); f * F < to && f < h.frames; f++) if (flags[f]) return (f + 1) * F;
  return -1;
}

export function quantile(xs: number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return +(s[lo] + (s[hi] - s[lo]) * (pos - lo)).toFixed(1);
}
