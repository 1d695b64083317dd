/**
 * Synthetic room impulse responses: a direct-path tap followed by an exponentially decaying
 * Gaussian tail (Polack's statistical model). It is not a geometric room, but it has what an echo
 * canceller cares about — a length set by RT60, a dense diffuse tail, a strong early part — and it
 * is reproducible from a seed.
 */
import { Rng } from './rng.js';

export interface SyntheticRirOptions {
  rate: number;
  /** Reverberation time (60 dB decay), seconds. */
  rt60: number;
  seed: number;
  /** Length of the response; defaults to RT60 (the tail is then 60 dB down at the end). */
  lengthMs?: number;
  /** Direct-path to reverberant energy ratio, dB (typical loudspeaker-to-mic in a box: ~0..10). */
  drrDb?: number;
}

/** A unit-energy impulse response (sum of squares = 1); scale it with the echo path gain. */
export function syntheticRir(opts: SyntheticRirOptions): Float32Array {
  if (!(opts.rt60 > 0)) throw new Error(`rt60 must be > 0 s, got ${opts.rt60}`);
  const n = Math.max(1, Math.round(((opts.lengthMs ?? opts.rt60 * 1000) / 1000) * opts.rate));
  const rng = new Rng(opts.seed);
  const h = new Float64Array(n);
  // Amplitude decays 60 dB (factor 1000 = e^6.9078) over rt60 seconds.
  const decayPerSample = 6.907755 / (opts.rt60 * opts.rate);
  // The diffuse tail starts after ~1 ms (the first reflection), with a 2 ms onset ramp.
  const onset = Math.round(0.001 * opts.rate);
  const ramp = Math.max(1, Math.round(0.002 * opts.rate));
  let tailEnergy = 0;
  for (let i = onset; i < n; i++) {
    const fadeIn = Math.min(1, (i - onset + 1) / ramp);
    h[i] = rng.gaussian() * Math.exp(-decayPerSample * i) * fadeIn;
    tailEnergy += h[i] * h[i];
  }
  const drr = 10 ** ((opts.drrDb ?? 3) / 10);
  h[0] = Math.sqrt(Math.max(tailEnergy, 1e-12) * drr);
  let energy = 0;
  for (let i = 0; i < n; i++) energy += h[i] * h[i];
  const norm = 1 / Math.sqrt(energy);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = h[i] * norm;
  return out;
}
