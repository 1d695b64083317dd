/**
 * The corpus's acoustic world (until src/audio/room lands, this small model stands in): a synthetic
 * room impulse response (direct path, early reflections, exponential diffuse tail for a given RT60),
 * a small loudspeaker (high-pass + optional soft-clipping distortion), bulk delay, and noise.
 */
import { convolve } from './fft.js';
import type { Rng } from './random.js';
import { RATE } from './speech.js';

export interface RirParams {
  rt60: number;
  /** Direct-path delay, seconds (2–40 ms). */
  direct: number;
  /** Extra bulk delay in front (converter/driver latency not seen by the reference), seconds. */
  bulk: number;
}

/** Synthetic RIR: unit direct path, 4–8 early reflections, Gaussian tail decaying 60 dB in rt60. */
export function makeRir(rng: Rng, p: RirParams): Float32Array {
  const lead = Math.round((p.bulk + p.direct) * RATE);
  const tailLen = Math.round(p.rt60 * RATE);
  const h = new Float32Array(lead + tailLen + 1);
  h[lead] = 1;
  const early = rng.int(4, 8);
  for (let i = 0; i < early; i++) {
    const at = lead + Math.round(rng.uniform(0.002, 0.03) * RATE);
    h[at] += (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.2, 0.6);
  }
  // Diffuse tail: energy ~ direct path energy × drr (a small terminal: the mic is near the speaker,
  // but a loud, reverberant room still returns a long tail).
  const decay = 6.9078 / (p.rt60 * RATE);
  const tail = new Float32Array(tailLen);
  let e = 0;
  for (let i = 0; i < tailLen; i++) {
    tail[i] = rng.gauss() * Math.exp(-decay * i);
    e += tail[i] * tail[i];
  }
  const drr = rng.uniform(0.3, 1.0);
  const g = Math.sqrt(drr / e);
  const start = lead + Math.round(0.004 * RATE);
  for (let i = 0; i < tailLen && start + i < h.length; i++) h[start + i] += g * tail[i];
  return h;
}

/** A small loudspeaker: 1st-order high-pass near 200 Hz, optional memoryless soft clipping. */
export function loudspeaker(x: Float32Array, distortion: number): Float32Array {
  const y = new Float32Array(x.length);
  const a = Math.exp((-2 * Math.PI * 200) / RATE);
  let px = 0;
  let py = 0;
  for (let i = 0; i < x.length; i++) {
    py = a * (py + x[i] - px);
    px = x[i];
    let v = py;
    // Soft clipping with a little asymmetry (cone excursion limits): harmonics the linear filter can't model.
    if (distortion > 0) v = Math.tanh(distortion * (v + 0.15 * v * v)) / distortion;
    y[i] = v;
  }
  return y;
}

export function echoPath(ref: Float32Array, rir: Float32Array, distortion: number): Float32Array {
  return convolve(loudspeaker(ref, distortion), rir);
}

/** Car noise: low-passed brown noise plus engine harmonics, unit RMS. */
export function carNoise(rng: Rng, n: number): Float32Array {
  const y = new Float32Array(n);
  const f0 = rng.uniform(25, 45);
  let b = 0;
  let lp = 0;
  for (let i = 0; i < n; i++) {
    b = 0.995 * b + 0.05 * rng.gauss();
    lp = 0.9 * lp + 0.1 * b;
    const t = i / RATE;
    y[i] = lp + 0.3 * Math.sin(2 * Math.PI * f0 * t) + 0.15 * Math.sin(2 * Math.PI * 2 * f0 * t + 1);
  }
  return normalise(y);
}

/** Babble: several talkers summed (sentences looped to length), unit RMS. */
export function babbleNoise(rng: Rng, n: number, talkers: Float32Array[]): Float32Array {
  const y = new Float32Array(n);
  for (const t of talkers) {
    let at = rng.int(0, t.length - 1);
    for (let i = 0; i < n; i++) {
      y[i] += t[at];
      at = (at + 1) % t.length;
    }
  }
  return normalise(y);
}

export function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, to - from));
}

function normalise(y: Float32Array): Float32Array {
  const r = rms(y) || 1;
  for (let i = 0; i < y.length; i++) y[i] /= r;
  return y;
}
