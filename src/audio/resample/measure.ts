/**
 * Quality and speed of the resampler, for the audio bench (`bench/audio.ts` reports
 * resampler_stopband_db and resampler_x_realtime from this).
 *
 * Stopband rejection: sine tones are resampled and whatever is not the tone itself is leakage —
 *  - tones in the passband: the output is least-squares fitted with a sinusoid at the tone's
 *    frequency; the residual (images, aliases, rounding) relative to the tone is the leakage;
 *  - tones above the output Nyquist (downsampling): the whole output is leakage (aliases).
 * stopbandDb is the worst case over all tones and all rate pairs, as a positive number of dB.
 * Speed: noise streamed through in 10 ms chunks (the frame path's pattern), median of 5 runs.
 */
import { Resampler } from './polyphase.js';

export const RATE_PAIRS: ReadonlyArray<readonly [number, number]> = [
  [16000, 24000],
  [24000, 16000],
  [16000, 48000],
  [48000, 16000],
  [24000, 48000],
  [48000, 24000],
];

export interface PairMeasurement {
  stopbandDb: number;
  xRealtime: number;
  tapsPerPhase: number;
}

export interface ResamplerMeasurement {
  /** Worst rejection over all pairs, dB (higher is better). */
  stopbandDb: number;
  /** Slowest pair, × real time on one core (higher is better). */
  xRealtime: number;
  pairs: Record<string, PairMeasurement>;
}

export function measureResampler(opts: { quick?: boolean } = {}): ResamplerMeasurement {
  const pairs: Record<string, PairMeasurement> = {};
  for (const [from, to] of RATE_PAIRS) {
    pairs[`${from}->${to}`] = {
      stopbandDb: Math.round(stopbandRejectionDb(from, to, opts.quick ? 8 : 24) * 10) / 10,
      xRealtime: Math.round(speedXRealtime(from, to, opts.quick ? 2 : 20)),
      tapsPerPhase: new Resampler(from, to).tapsPerPhase,
    };
  }
  const all = Object.values(pairs);
  return {
    stopbandDb: Math.min(...all.map((p) => p.stopbandDb)),
    xRealtime: Math.min(...all.map((p) => p.xRealtime)),
    pairs,
  };
}

/** Worst-case leakage over `tones` passband and `tones` stopband frequencies, as positive dB. */
export function stopbandRejectionDb(from: number, to: number, tones: number): number {
  const nyqIn = from / 2;
  const nyqOut = to / 2;
  const passEdge = Math.min(nyqIn, nyqOut) * 0.88;
  let worst = Number.POSITIVE_INFINITY;
  for (let i = 0; i < tones; i++) {
    const f = 150 + ((passEdge - 150) * (i + 0.37)) / tones;
    worst = Math.min(worst, passbandRejection(from, to, f));
  }
  if (nyqIn > nyqOut) {
    for (let i = 0; i < tones; i++) {
      const f = nyqOut + ((nyqIn - nyqOut) * (i + 0.5)) / tones;
      worst = Math.min(worst, stopbandTone(from, to, f));
    }
  }
  return worst;
}

function resampleTone(
  from: number,
  to: number,
  f: number,
  seconds = 0.25,
): { y: Float32Array; n: number; skip: number } {
  const r = new Resampler(from, to);
  const x = new Float32Array(Math.round(from * seconds));
  for (let i = 0; i < x.length; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * f * i) / from);
  const y = new Float32Array(r.maxOutput(x.length));
  const n = r.process(x, y);
  // Skip the filter's warm-up (one full history) and keep clear of the end.
  const skip = Math.ceil((r.tapsPerPhase * to) / from) + 2;
  return { y, n, skip };
}

function passbandRejection(from: number, to: number, f: number): number {
  const { y, n, skip } = resampleTone(from, to, f);
  // Least-squares fit a·sin + b·cos at f over the steady part; residual = leakage.
  const w = (2 * Math.PI * f) / to;
  let ss = 0;
  let cc = 0;
  let sc = 0;
  let ys = 0;
  let yc = 0;
  for (let i = skip; i < n; i++) {
    const s = Math.sin(w * i);
    const c = Math.cos(w * i);
    ss += s * s;
    cc += c * c;
    sc += s * c;
    ys += y[i] * s;
    yc += y[i] * c;
  }
  const det = ss * cc - sc * sc;
  const a = (ys * cc - yc * sc) / det;
  const b = (yc * ss - ys * sc) / det;
  let res = 0;
  let sig = 0;
  for (let i = skip; i < n; i++) {
    const fit = a * Math.sin(w * i) + b * Math.cos(w * i);
    res += (y[i] - fit) ** 2;
    sig += fit * fit;
  }
  return 10 * Math.log10(sig / Math.max(res, 1e-30));
}

function stopbandTone(from: number, to: number, f: number): number {
  const { y, n, skip } = resampleTone(from, to, f);
  let out = 0;
  for (let i = skip; i < n; i++) out += y[i] * y[i];
  const inPower = 0.125; // 0.5² / 2
  return 10 * Math.log10(inPower / Math.max(out / (n - skip), 1e-30));
}

/** Seconds of audio resampled per second of CPU, streaming 10 ms chunks; median of 5 runs. */
export function speedXRealtime(from: number, to: number, seconds: number): number {
  const r = new Resampler(from, to);
  const chunk = new Float32Array(from / 100);
  let seed = 12345;
  for (let i = 0; i < chunk.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    chunk[i] = seed / 4294967296 - 0.5;
  }
  const out = new Float32Array(r.maxOutput(chunk.length));
  const chunks = seconds * 100;
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    for (let c = 0; c < chunks; c++) r.process(chunk, out);
    runs.push((performance.now() - t0) / 1000);
  }
  runs.sort((a, b) => a - b);
  return seconds / runs[2];
}
