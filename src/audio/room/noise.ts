/**
 * Seeded noise sources, one sample at a time (no allocation): white Gaussian, pink (Paul Kellet's
 * refined filter, ±0.05 dB from 9 Hz up), and "babble-ish" — speech-shaped noise whose level is
 * modulated by several independent syllable-rate envelopes, like a few people talking at once in
 * the background. Babble is a stand-in, not speech: it has speech's spectrum tilt and its 3–6 Hz
 * fluctuation, which is what trips up VADs, but no phonetic content.
 */
import { Rng } from './rng.js';

export type NoiseType = 'none' | 'white' | 'pink' | 'babble';

export interface NoiseSource {
  /** Next sample at unit-ish level; the room scales it to the requested level after calibration. */
  next(): number;
}

export function createNoise(type: NoiseType, rate: number, seed: number): NoiseSource {
  const rng = new Rng(seed);
  switch (type) {
    case 'none':
      return { next: () => 0 };
    case 'white':
      return { next: () => rng.gaussian() };
    case 'pink':
      return new PinkNoise(rng);
    case 'babble':
      return new BabbleNoise(rng, rate);
  }
}

class PinkNoise implements NoiseSource {
  private b0 = 0;
  private b1 = 0;
  private b2 = 0;
  private b3 = 0;
  private b4 = 0;
  private b5 = 0;
  private b6 = 0;
  constructor(private readonly rng: Rng) {}
  next(): number {
    const w = this.rng.gaussian();
    this.b0 = 0.99886 * this.b0 + w * 0.0555179;
    this.b1 = 0.99332 * this.b1 + w * 0.0750759;
    this.b2 = 0.969 * this.b2 + w * 0.153852;
    this.b3 = 0.8665 * this.b3 + w * 0.3104856;
    this.b4 = 0.55 * this.b4 + w * 0.5329522;
    this.b5 = -0.7616 * this.b5 - w * 0.016898;
    const out = this.b0 + this.b1 + this.b2 + this.b3 + this.b4 + this.b5 + this.b6 + w * 0.5362;
    this.b6 = w * 0.115926;
    return out * 0.2;
  }
}

const BABBLE_VOICES = 6;

class BabbleNoise implements NoiseSource {
  private readonly pink: PinkNoise;
  /** Per voice: smoothed random envelope state and its target, re-drawn at syllable rate. */
  private readonly env = new Float64Array(BABBLE_VOICES);
  private readonly target = new Float64Array(BABBLE_VOICES);
  private readonly countdown = new Int32Array(BABBLE_VOICES);
  private readonly voiceNoise: PinkNoise[];
  private readonly smooth: number;
  // Speech-shaped band: a one-pole high-pass (~150 Hz) after pink noise tilts it like voices.
  private hpPrevIn = 0;
  private hpPrevOut = 0;
  private readonly hpA: number;

  constructor(
    private readonly rng: Rng,
    private readonly rate: number,
  ) {
    this.pink = new PinkNoise(rng);
    this.voiceNoise = Array.from({ length: BABBLE_VOICES }, () => new PinkNoise(rng));
    this.smooth = 1 - Math.exp(-1 / (0.03 * rate));
    this.hpA = Math.exp((-2 * Math.PI * 150) / rate);
  }

  next(): number {
    let sum = 0;
    for (let v = 0; v < BABBLE_VOICES; v++) {
      if (--this.countdown[v] <= 0) {
        // A new "syllable" every 120–300 ms; a quarter of them are pauses.
        this.countdown[v] = Math.round((0.12 + 0.18 * this.rng.next()) * this.rate);
        this.target[v] = this.rng.next() < 0.25 ? 0 : 0.3 + this.rng.next();
      }
      this.env[v] += (this.target[v] - this.env[v]) * this.smooth;
      sum += this.env[v] * this.voiceNoise[v].next();
    }
    const x = sum + 0.05 * this.pink.next();
    const y = this.hpA * (this.hpPrevOut + x - this.hpPrevIn);
    this.hpPrevIn = x;
    this.hpPrevOut = y;
    return y;
  }
}
