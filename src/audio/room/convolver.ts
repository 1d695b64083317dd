/**
 * Streaming, zero-latency convolution with a long impulse response (a room's echo path).
 *
 * The impulse response is split at `blockSize` (B):
 *  - the head h[0..B) is convolved directly, sample by sample, so output never lags the input;
 *  - the tail h[B..) is cut into partitions of B taps and convolved by uniformly partitioned
 *    overlap-save FFT convolution (FFT size 2B, a frequency-domain delay line of past input
 *    blocks). Because every tail tap is at least B samples old, the tail's contribution to the
 *    next block can be computed as soon as the current block is complete — still zero latency.
 * Cost per sample ≈ B multiply-adds + (P partitions × (B+1) complex MACs + 2 FFTs) / B; for an RT60
 * of 0.6 s at 16 kHz (≈ 9600 taps, B = 128) that is a few hundred times real time in plain JS.
 * All buffers are allocated in the constructor; process() allocates nothing. Arithmetic is
 * float64, so the result matches a direct convolution within float32 epsilon.
 */
import { Fft } from './fft.js';

export class PartitionedConvolver {
  readonly blockSize: number;
  readonly length: number;
  private readonly head: Float64Array;
  /** Tail partition spectra, bins 0..B (Hermitian symmetry gives the rest): [p][bin] re/im. */
  private readonly hRe: Float64Array;
  private readonly hIm: Float64Array;
  /** Spectra of the last P input block pairs, a ring indexed by xNewest. */
  private readonly xRe: Float64Array;
  private readonly xIm: Float64Array;
  private xNewest = 0;
  private readonly partitions: number;
  private readonly fft: Fft;
  private readonly workRe: Float64Array;
  private readonly workIm: Float64Array;
  /** [previous block, current block] of input, for the head's direct sum and the next FFT. */
  private readonly pair: Float64Array;
  /** The tail's contribution to the current output block. */
  private readonly tailOut: Float64Array;
  private pos = 0;

  constructor(ir: ArrayLike<number>, blockSize = 128) {
    if ((blockSize & (blockSize - 1)) !== 0 || blockSize < 2)
      throw new Error(`blockSize must be a power of two, got ${blockSize}`);
    const B = blockSize;
    this.blockSize = B;
    this.length = ir.length;
    this.head = new Float64Array(Math.min(B, ir.length));
    for (let i = 0; i < this.head.length; i++) this.head[i] = ir[i];
    this.partitions = Math.max(0, Math.ceil((ir.length - B) / B));
    const bins = B + 1;
    this.fft = new Fft(2 * B);
    this.workRe = new Float64Array(2 * B);
    this.workIm = new Float64Array(2 * B);
    this.hRe = new Float64Array(this.partitions * bins);
    this.hIm = new Float64Array(this.partitions * bins);
    this.xRe = new Float64Array(Math.max(1, this.partitions) * bins);
    this.xIm = new Float64Array(Math.max(1, this.partitions) * bins);
    for (let p = 0; p < this.partitions; p++) {
      this.workRe.fill(0);
      this.workIm.fill(0);
      const from = (p + 1) * B;
      for (let j = 0; j < B && from + j < ir.length; j++) this.workRe[j] = ir[from + j];
      this.fft.transform(this.workRe, this.workIm);
      this.hRe.set(this.workRe.subarray(0, bins), p * bins);
      this.hIm.set(this.workIm.subarray(0, bins), p * bins);
    }
    this.pair = new Float64Array(2 * B);
    this.tailOut = new Float64Array(B);
  }

  /** Convolve n samples of input into output (may be the same array). */
  process(input: Float32Array, output: Float32Array, n = input.length): void {
    const B = this.blockSize;
    const head = this.head;
    const hl = head.length;
    const pair = this.pair;
    const tail = this.tailOut;
    let pos = this.pos;
    for (let i = 0; i < n; i++) {
      const at = B + pos;
      pair[at] = input[i];
      let acc = tail[pos];
      for (let k = 0; k < hl; k++) acc += head[k] * pair[at - k];
      output[i] = acc;
      if (++pos === B) {
        this.blockDone();
        pos = 0;
      }
    }
    this.pos = pos;
  }

  /** Forget all past input (the room falls silent instantly). */
  reset(): void {
    this.pair.fill(0);
    this.tailOut.fill(0);
    this.xRe.fill(0);
    this.xIm.fill(0);
    this.pos = 0;
  }

  private blockDone(): void {
    const B = this.blockSize;
    const bins = B + 1;
    const P = this.partitions;
    this.pos = 0;
    if (P > 0) {
      // Spectrum of [previous block, current block] goes into the delay line.
      const re = this.workRe;
      const im = this.workIm;
      for (let i = 0; i < 2 * B; i++) re[i] = this.pair[i];
      im.fill(0);
      this.fft.transform(re, im);
      this.xNewest = (this.xNewest + 1) % P;
      // Plain loops, not set(subarray()): a subarray is a new object per block.
      const xo = this.xNewest * bins;
      for (let k = 0; k < bins; k++) {
        this.xRe[xo + k] = re[k];
        this.xIm[xo + k] = im[k];
      }
      // Next block's tail = sum over partitions p (lag (p+1)·B) of H_p · X_{newest-p}.
      re.fill(0);
      im.fill(0);
      const xRe = this.xRe;
      const xIm = this.xIm;
      const hRe = this.hRe;
      const hIm = this.hIm;
      for (let p = 0; p < P; p++) {
        let slot = this.xNewest - p;
        if (slot < 0) slot += P;
        const xo = slot * bins;
        const ho = p * bins;
        for (let k = 0; k < bins; k++) {
          const ar = xRe[xo + k];
          const ai = xIm[xo + k];
          const br = hRe[ho + k];
          const bi = hIm[ho + k];
          re[k] += ar * br - ai * bi;
          im[k] += ar * bi + ai * br;
        }
      }
      for (let k = 1; k < B; k++) {
        re[2 * B - k] = re[k];
        im[2 * B - k] = -im[k];
      }
      this.fft.transform(re, im, true);
      const scale = 1 / (2 * B);
      for (let i = 0; i < B; i++) this.tailOut[i] = re[B + i] * scale;
    }
    // Slide: the current block becomes the previous one.
    this.pair.copyWithin(0, B, 2 * B);
  }
}

/** Plain direct convolution (float64), the reference the tests compare against. */
export function directConvolve(x: ArrayLike<number>, h: ArrayLike<number>): Float64Array {
  const y = new Float64Array(x.length);
  for (let n = 0; n < x.length; n++) {
    let acc = 0;
    const kmax = Math.min(h.length - 1, n);
    for (let k = 0; k <= kmax; k++) acc += h[k] * x[n - k];
    y[n] = acc;
  }
  return y;
}
