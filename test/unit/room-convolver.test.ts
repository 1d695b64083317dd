import { describe, expect, it } from 'vitest';
import { directConvolve, PartitionedConvolver } from '../../src/audio/room/convolver.js';
import { recordRoom } from '../../src/audio/room/record.js';
import { syntheticRir } from '../../src/audio/room/rir.js';
import { Rng } from '../../src/audio/room/rng.js';

function noise(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next() - 0.5);
}

/** Max |a-b| relative to max(1, |b|): float32 output vs float64 reference. */
function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < b.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return e;
}

describe('PartitionedConvolver', () => {
  // Lengths around the 128-tap head/tail split, and a full RT60 0.6 s room at 16 kHz.
  for (const irLength of [1, 37, 127, 128, 129, 256, 1000, 9600]) {
    it(`matches a direct convolution exactly (within float32 epsilon), IR ${irLength} taps`, () => {
      const h = noise(irLength, irLength);
      const x = noise(12_000, 99);
      const conv = new PartitionedConvolver(h, 128);
      const y = new Float32Array(x.length);
      // Uneven chunk sizes: block boundaries must not matter.
      const chunks = [160, 7, 333, 1, 128, 500];
      for (let off = 0, c = 0; off < x.length; c++) {
        const n = Math.min(chunks[c % chunks.length], x.length - off);
        conv.process(x.subarray(off, off + n), y.subarray(off, off + n), n);
        off += n;
      }
      const ref = directConvolve(x, h);
      expect(maxRelError(y, ref)).toBeLessThan(2 * 2 ** -23);
    });
  }

  it('reset() forgets the past input', () => {
    const conv = new PartitionedConvolver(noise(600, 1), 128);
    const out = new Float32Array(1000);
    conv.process(noise(1000, 2), out);
    conv.reset();
    conv.process(new Float32Array(1000), out);
    expect(out.every((v) => v === 0)).toBe(true);
  });

  it('rejects a block size that is not a power of two', () => {
    expect(() => new PartitionedConvolver([1, 2, 3], 100)).toThrow(/power of two/);
  });
});

describe('the room reproduces a known echo path', () => {
  it('mic = known IR * played signal, delayed by the bulk delay (no talkers, no noise)', async () => {
    const rate = 16000;
    const ir = syntheticRir({ rate, rt60: 0.25, seed: 5 });
    const played = noise(rate, 3);
    const delayMs = 30;
    const rec = await recordRoom(
      { rate, echoPath: { ir, delayMs }, seed: 1 },
      { durationMs: 1500, playback: played },
    );
    // The reference is exactly what was played, from the first frame on.
    expect(Array.from(rec.ref.subarray(0, played.length))).toEqual(Array.from(played));
    const delay = (delayMs * rate) / 1000;
    const delayed = new Float32Array(rec.mic.length);
    delayed.set(rec.ref.subarray(0, rec.mic.length - delay), delay);
    const expected = directConvolve(delayed, ir);
    expect(maxRelError(rec.mic, expected)).toBeLessThan(2 * 2 ** -23);
    expect(maxRelError(rec.echo, expected)).toBeLessThan(2 * 2 ** -23);
    // And the echo is really there (not a silent pass): energy comparable to the input's.
    const energy = (a: Float32Array) => a.reduce((s, v) => s + v * v, 0);
    expect(energy(rec.mic) / energy(rec.ref)).toBeGreaterThan(0.5);
  });
});
