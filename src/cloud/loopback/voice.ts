/**
 * A deterministic speech-like signal for the loopback double and the benches: voiced "syllables"
 * (a glottal-ish harmonic series with a gliding pitch) under a syllable-rate envelope, with short
 * gaps between words. Not speech, but it has what echo cancellers and VADs react to: harmonics,
 * onsets, and pauses at a natural rate.
 */

export interface VoiceOptions {
  rate: number;
  durationMs: number;
  /** Mean pitch, Hz (agent ~130, customer ~200 so the two are distinguishable). */
  f0?: number;
  /** Peak amplitude, float full scale. */
  level?: number;
  seed?: number;
}

export function synthVoice(o: VoiceOptions): Float32Array {
  const n = Math.round((o.rate * o.durationMs) / 1000);
  const out = new Float32Array(n);
  const f0 = o.f0 ?? 130;
  const level = o.level ?? 0.3;
  let seed = o.seed ?? 1;
  const rnd = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const syllable = Math.round(o.rate * 0.18);
  let phase = 0;
  let pos = 0;
  while (pos < n) {
    // A syllable of 140-220 ms; every ~4th one followed by a word gap of 60-120 ms.
    const len = Math.round(syllable * (0.8 + 0.4 * rnd()));
    const pitch = f0 * (0.85 + 0.3 * rnd());
    const glide = (rnd() - 0.5) * 0.3 * f0;
    for (let i = 0; i < len && pos < n; i++, pos++) {
      const t = i / len;
      const env = Math.sin(Math.PI * t) ** 0.6;
      const f = pitch + glide * t;
      phase += (2 * Math.PI * f) / o.rate;
      let s = 0;
      for (let h = 1; h <= 8; h++) s += Math.sin(h * phase) / h;
      out[pos] = level * 0.55 * env * s;
    }
    if (rnd() < 0.25) pos += Math.round(o.rate * (0.06 + 0.06 * rnd()));
  }
  // First sample starts at a zero crossing of the envelope already; clamp the tail.
  return out;
}

/** Length of a reply spoken at a calm pace: ~70 ms per character, at least 600 ms. */
export function speechDurationMs(text: string): number {
  return Math.max(600, text.length * 70);
}
