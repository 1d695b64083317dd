import { describe, expect, it } from 'vitest';
import { RATE_PAIRS, stopbandRejectionDb } from '../../src/audio/resample/measure.js';
import { Resampler, resampleSignal } from '../../src/audio/resample/polyphase.js';

const PAIRS = RATE_PAIRS;

function sine(rate: number, hz: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / rate));
}

describe('Resampler', () => {
  for (const [from, to] of PAIRS) {
    it(`${from} → ${to}: a 1 kHz tone comes out at the new rate, aligned and accurate`, () => {
      const y = resampleSignal(sine(from, 1000, from / 2), from, to);
      expect(y.length).toBe(to / 2);
      const ideal = sine(to, 1000, to / 2);
      let worst = 0;
      for (let i = 200; i < y.length - 200; i++) worst = Math.max(worst, Math.abs(y[i] - ideal[i]));
      expect(worst).toBeLessThan(1e-4);
    });
  }

  it('streams: any chunking gives exactly the one-shot result', () => {
    const x = sine(16000, 440, 4000);
    const oneShot = new Resampler(16000, 24000);
    const whole = new Float32Array(oneShot.maxOutput(x.length));
    const n = oneShot.process(x, whole);
    const streamed = new Resampler(16000, 24000);
    const parts: number[] = [];
    const buf = new Float32Array(streamed.maxOutput(333));
    for (let off = 0; off < x.length; off += 333) {
      const chunk = x.subarray(off, Math.min(x.length, off + 333));
      const m = streamed.process(chunk, buf, chunk.length);
      parts.push(...buf.subarray(0, m));
    }
    expect(parts.length).toBe(n);
    expect(Float32Array.from(parts)).toEqual(whole.subarray(0, n));
  });

  it('produces exactly rate-ratio outputs for 10 ms frames over time', () => {
    const r = new Resampler(16000, 24000);
    const out = new Float32Array(r.maxOutput(160));
    let total = 0;
    for (let i = 0; i < 100; i++) total += r.process(new Float32Array(160), out);
    expect(total).toBe(24000);
  });

  it('rejects aliases and images by at least 85 dB (design: 90)', () => {
    for (const [from, to] of [
      [16000, 24000],
      [48000, 16000],
    ]) {
      expect(stopbandRejectionDb(from, to, 6)).toBeGreaterThan(85);
    }
  });

  it('handles other rational ratios (espeak-ng 22.05 kHz → 16 kHz)', () => {
    const y = resampleSignal(sine(22050, 1000, 22050), 22050, 16000);
    expect(y.length).toBe(16000);
    let worst = 0;
    for (let i = 200; i < 15800; i++)
      worst = Math.max(worst, Math.abs(y[i] - 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 16000)));
    expect(worst).toBeLessThan(1e-4);
  });

  it('says when the output array is too small, and rejects bad rates', () => {
    const r = new Resampler(16000, 48000);
    expect(() => r.process(new Float32Array(160), new Float32Array(100))).toThrow(/maxOutput/);
    expect(() => new Resampler(0, 16000)).toThrow(/positive integers/);
    expect(() => new Resampler(16000.5, 16000)).toThrow(/positive integers/);
  });
});
