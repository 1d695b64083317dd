/**
 * Streaming polyphase resampler for any rational ratio (16k↔24k↔48k, and 22.05k espeak-ng WAVs).
 *
 * Conceptually: upsample by L (zero stuffing), low-pass with a Kaiser-windowed sinc, keep every
 * M-th sample. Only the taps that meet non-zero input are computed: output k uses phase
 * φ = kM mod L of the prototype and the K newest input samples. The stopband starts at the lower
 * of the two Nyquist frequencies, so nothing aliases into the output with more than the design
 * attenuation (default 90 dB); the passband ends at `passband` × that Nyquist (default 0.88, i.e.
 * flat to 7 kHz for 16 kHz audio).
 *
 * Why our own: the maintained npm option (@alexanderolsen/libsamplerate-js, WASM) returns a new
 * Float32Array per call and initialises asynchronously; the frame path must not allocate.
 * process() allocates nothing; the caller owns the output array (size it with maxOutput()).
 */
import { kaiserBeta, kaiserLength, kaiserSinc } from './kaiser.js';

export interface ResamplerOptions {
  /** Stopband attenuation, dB (default 90). */
  attenuationDb?: number;
  /** Passband edge as a fraction of the lower Nyquist frequency (default 0.88). */
  passband?: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Up and down factors after reduction (48k→16k: L=1, M=3). */
  readonly up: number;
  readonly down: number;
  /** Taps per phase = input samples each output sample depends on. */
  readonly tapsPerPhase: number;
  /** Group delay of the filter, in output samples (for aligning resampled signals). */
  readonly delayOut: number;
  /** [phase][tap], taps reversed so the inner loop walks the history forwards. */
  private readonly coefs: Float32Array;
  /** Input history, written twice (at w and w+K) so the newest K samples are always contiguous. */
  private readonly hist: Float32Array;
  private w = 0;
  /** Position of the next output on the upsampled time axis, relative to the current input. */
  private t = 0;

  constructor(fromRate: number, toRate: number, opts: ResamplerOptions = {}) {
    if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) {
      throw new Error(`resampler rates must be positive integers, got ${fromRate} → ${toRate}`);
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    const g = gcd(fromRate, toRate);
    const L = toRate / g;
    const M = fromRate / g;
    this.up = L;
    this.down = M;
    const db = opts.attenuationDb ?? 90;
    const passband = opts.passband ?? 0.88;
    const protoRate = fromRate * L;
    const nyq = Math.min(fromRate, toRate) / 2;
    const width = (nyq * (1 - passband)) / protoRate;
    const cutoff = (nyq * (1 + passband)) / 2 / protoRate;
    // Centre the prototype on a multiple of M so the delay is a whole number of output samples
    // (resampled signals line up exactly with their originals after removing it).
    const half = M * Math.ceil((kaiserLength(db, width) - 1) / 2 / M);
    const proto = kaiserSinc(2 * half + 1, cutoff, kaiserBeta(db), L);
    const K = Math.ceil(proto.length / L);
    this.tapsPerPhase = K;
    this.coefs = new Float32Array(L * K);
    for (let phase = 0; phase < L; phase++) {
      // Tap j of this phase multiplies x[i - j]; stored reversed to pair with hist in order.
      for (let j = 0; j < K && phase + j * L < proto.length; j++)
        this.coefs[phase * K + (K - 1 - j)] = proto[phase + j * L];
    }
    this.hist = new Float32Array(2 * K);
    this.delayOut = half / M;
  }

  /** Upper bound of outputs produced for n inputs (any call). */
  maxOutput(n: number): number {
    return Math.ceil((n * this.up) / this.down) + 1;
  }

  /** Resample n input samples; writes to output and returns the count written. */
  process(input: Float32Array, output: Float32Array, n = input.length): number {
    const K = this.tapsPerPhase;
    const L = this.up;
    const M = this.down;
    const hist = this.hist;
    const coefs = this.coefs;
    let out = 0;
    for (let i = 0; i < n; i++) {
      const x = input[i];
      hist[this.w] = x;
      hist[this.w + K] = x;
      this.w = this.w + 1 === K ? 0 : this.w + 1;
      // Newest K samples, oldest first: hist[w .. w+K).
      while (this.t < L) {
        const c = this.t * K;
        let acc = 0;
        for (let j = 0; j < K; j++) acc += coefs[c + j] * hist[this.w + j];
        if (out >= output.length)
          throw new Error('resampler output array too small (size it with maxOutput())');
        output[out++] = acc;
        this.t += M;
      }
      this.t -= L;
    }
    return out;
  }

  reset(): void {
    this.hist.fill(0);
    this.w = 0;
    this.t = 0;
  }
}

/**
 * Resample a whole signal offline (talker WAVs, corpora), compensating the filter delay so the
 * output is time-aligned with the input. Allocates; not for the frame path.
 */
export function resampleSignal(
  samples: Float32Array,
  fromRate: number,
  toRate: number,
  opts?: ResamplerOptions,
): Float32Array {
  if (fromRate === toRate) return samples.slice();
  const r = new Resampler(fromRate, toRate, opts);
  const padIn = r.tapsPerPhase;
  const padded = new Float32Array(samples.length + padIn);
  padded.set(samples);
  const tmp = new Float32Array(r.maxOutput(padded.length));
  const n = r.process(padded, tmp);
  const skip = r.delayOut;
  const want = Math.round((samples.length * toRate) / fromRate);
  return tmp.slice(skip, Math.min(n, skip + want));
}
