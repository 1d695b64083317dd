import { describe, expect, it } from 'vitest';
import { syntheticRir } from '../../src/audio/room/rir.js';

describe('syntheticRir', () => {
  it('is deterministic per seed, unit energy, and as long as RT60', () => {
    const a = syntheticRir({ rate: 16000, rt60: 0.6, seed: 3 });
    const b = syntheticRir({ rate: 16000, rt60: 0.6, seed: 3 });
    const c = syntheticRir({ rate: 16000, rt60: 0.6, seed: 4 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.length).toBe(9600);
    expect(a.reduce((s, v) => s + v * v, 0)).toBeCloseTo(1, 5);
  });

  it('decays by about 60 dB over RT60', () => {
    const rate = 16000;
    const h = syntheticRir({ rate, rt60: 0.4, seed: 9, lengthMs: 600 });
    const energy = (from: number, to: number) => {
      let e = 0;
      for (let i = from; i < to; i++) e += h[i] * h[i];
      return e;
    };
    // Energy of 50 ms windows at 50 ms and at 450 ms: 400 ms apart = 60 dB (±4 dB, it is random).
    const w = 800;
    const drop = 10 * Math.log10(energy(800, 800 + w) / energy(7200, 7200 + w));
    expect(drop).toBeGreaterThan(56);
    expect(drop).toBeLessThan(64);
  });

  it('rejects a non-positive RT60', () => {
    expect(() => syntheticRir({ rate: 16000, rt60: 0, seed: 1 })).toThrow(/rt60/);
  });
});
