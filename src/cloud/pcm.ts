/**
 * PCM helpers at the network edge: base64 PCM16 little-endian (what both APIs carry) to and from
 * typed arrays, float ↔ int16, and a small linear resampler for the 16 kHz ↔ 24 kHz hop Realtime
 * needs. (src/audio/resample/ may offer a better filter later; speech at these rates survives linear
 * interpolation well enough for a cloud model, and this keeps src/cloud self-contained.)
 */

export function int16ToBase64(pcm: Int16Array): string {
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64');
}

export function base64ToInt16(b64: string): Int16Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Int16Array(buf.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(i * 2);
  return out;
}

export function floatToInt16(src: Float32Array, dst: Int16Array = new Int16Array(src.length)): Int16Array {
  for (let i = 0; i < src.length; i++) {
    const v = src[i] * 32768;
    dst[i] = v >= 32767 ? 32767 : v <= -32768 ? -32768 : Math.round(v);
  }
  return dst;
}

export function int16ToFloat(
  src: Int16Array,
  dst: Float32Array = new Float32Array(src.length),
): Float32Array {
  for (let i = 0; i < src.length; i++) dst[i] = src[i] / 32768;
  return dst;
}

/**
 * Streaming linear resampler: keeps the fractional phase and the last input sample between calls,
 * so chunk boundaries do not click. One instance per direction and stream.
 */
export class LinearResampler {
  private readonly step: number;
  private phase = 0;
  private last = 0;
  private primed = false;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    this.step = fromRate / toRate;
  }

  /** Output samples for this chunk (allocates: called per network message, not per sample). */
  process(input: Float32Array): Float32Array {
    if (this.fromRate === this.toRate) return input.slice();
    if (!this.primed && input.length > 0) {
      this.last = input[0];
      this.primed = true;
    }
    // Virtual signal: x[-1] = last, x[0..n-1] = input. Positions p in [phase, n-1].
    const n = input.length;
    const count = Math.max(0, Math.floor((n - 1 - this.phase) / this.step) + 1);
    const out = new Float32Array(count);
    let p = this.phase;
    for (let i = 0; i < count; i++, p += this.step) {
      const i0 = Math.floor(p);
      const f = p - i0;
      const a = i0 < 0 ? this.last : input[i0];
      const b = i0 + 1 < 0 ? this.last : i0 + 1 < n ? input[i0 + 1] : input[n - 1];
      out[i] = a + (b - a) * f;
    }
    this.phase = p - n;
    if (n > 0) this.last = input[n - 1];
    return out;
  }

  reset(): void {
    this.phase = 0;
    this.primed = false;
  }
}
