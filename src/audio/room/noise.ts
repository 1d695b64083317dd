/**
 * Seeded noise sources (no allocation): white Gaussian, pink (Paul Kellet's refined filter,
 * ±0.05 dB from 9 Hz up), and "babble-ish" — speech-shaped noise whose level is modulated by
 * several independent syllable-rate envelopes, like a few people talking at once in the
 * background. Babble is a stand-in, not speech: it has speech's spectrum tilt and its 3–6 Hz
 * fluctuation, which is what trips up VADs, but no phonetic content.
 *
 * Sources fill whole blocks rather than returning one sample per call: a JS function that returns
 * a double and is not inlined boxes it (garbage per sample); filling a typed array does not.
 * Filter states live in typed arrays for the same reason (V8 boxes doubles stored in fields).
 */
import { Rng } from './rng.js';

export type NoiseType = 'none' | 'white' | 'pink' | 'babble';

export interface NoiseSource {
  /**
   * Write the next n samples (unit-ish level; the room calibrates the level) into dst. Always a
   * Float64Array: one array type keeps these loops monomorphic, so the JIT never falls back to
   * code that boxes doubles.
   */
  fill(dst: Float64Array, n: number): void;
}

export function createNoise(type: NoiseType, rate: number, seed: number): NoiseSource {
  const rng = new Rng(seed);
  switch (type) {
    case 'none':
      return { fill: (dst, n) => dst.fill(0, 0, n) };
    case 'white':
      return new WhiteNoise(rng);
    case 'pink':
      return new PinkNoise(rng);
    case 'babble':
      return new BabbleNoise(rng, rate);
  }
}

class WhiteNoise implements NoiseSource {
  constructor(private readonly rng: Rng) {}
  fill(dst: Float64Array, n: number): void {
    for (let i = 0; i < n; i++) dst[i] = this.rng.gaussian();
  }
}

class PinkNoise implements NoiseSource {
  private readonly b = new Float64Array(7);
  constructor(private readonly rng: Rng) {}
  fill(dst: Float64Array, n: number): void {
    const b = this.b;
    for (let i = 0; i < n; i++) {
      const w = this.rng.gaussian();
      b[0] = 0.99886 * b[0] + w * 0.0555179;
      b[1] = 0.99332 * b[1] + w * 0.0750759;
      b[2] = 0.969 * b[2] + w * 0.153852;
      b[3] = 0.8665 * b[3] + w * 0.3104856;
      b[4] = 0.55 * b[4] + w * 0.5329522;
      b[5] = -0.7616 * b[5] - w * 0.016898;
      const out = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
      b[6] = w * 0.115926;
      dst[i] = out * 0.2;
    }
  }
}

const BABBLE_VOICES = 6;

class BabbleNoise implements NoiseSource {
  private readonly floor: PinkNoise;
  private readonly voices: PinkNoise[];
  /** Per voice: smoothed envelope, its target, samples until the next "syllable". */
  private readonly env = new Float64Array(BABBLE_VOICES);
  private readonly target = new Float64Array(BABBLE_VOICES);
  private readonly countdown = new Int32Array(BABBLE_VOICES);
  private readonly smooth: number;
  /** Speech-shaped band: a one-pole high-pass (~150 Hz) tilts pink noise like voices. */
  private readonly hpA: number;
  /** [previous input, previous output] of the high-pass. */
  private readonly hp = new Float64Array(2);
  /** Scratch for one voice's block; grows once to the largest block asked for. */
  private voice = new Float64Array(0);
  private sum = new Float64Array(0);

  /** One generator per voice (and one for its syllables), so the output never depends on block sizes. */
  private readonly syllables: Rng[];

  constructor(
    rng: Rng,
    private readonly rate: number,
  ) {
    const seedFrom = () => Math.floor(rng.next() * 2 ** 32);
    this.floor = new PinkNoise(new Rng(seedFrom()));
    this.voices = Array.from({ length: BABBLE_VOICES }, () => new PinkNoise(new Rng(seedFrom())));
    this.syllables = Array.from({ length: BABBLE_VOICES }, () => new Rng(seedFrom()));
    this.smooth = 1 - Math.exp(-1 / (0.03 * rate));
    this.hpA = Math.exp((-2 * Math.PI * 150) / rate);
  }

  fill(dst: Float64Array, n: number): void {
    if (this.voice.length < n) {
      this.voice = new Float64Array(n);
      this.sum = new Float64Array(n);
    }
    const voice = this.voice;
    const sum = this.sum;
    this.floor.fill(sum, n);
    for (let i = 0; i < n; i++) sum[i] *= 0.05;
    for (let v = 0; v < BABBLE_VOICES; v++) {
      this.voices[v].fill(voice, n);
      for (let i = 0; i < n; i++) {
        if (--this.countdown[v] <= 0) {
          // A new "syllable" every 120–300 ms; a quarter of them are pauses.
          const r = this.syllables[v];
          this.countdown[v] = Math.round((0.12 + 0.18 * r.next()) * this.rate);
          this.target[v] = r.next() < 0.25 ? 0 : 0.3 + r.next();
        }
        this.env[v] += (this.target[v] - this.env[v]) * this.smooth;
        sum[i] += this.env[v] * voice[i];
      }
    }
    const hp = this.hp;
    for (let i = 0; i < n; i++) {
      const y = this.hpA * (hp[1] + sum[i] - hp[0]);
      hp[0] = sum[i];
      hp[1] = y;
      dst[i] = y;
    }
  }
}
