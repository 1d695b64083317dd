import { describe, expect, it } from 'vitest';
import { base64ToInt16, int16ToBase64, LinearResampler } from '../../src/cloud/pcm.js';
import { planRotation, sessionEnd } from '../../src/cloud/rotation.js';

const MIN = 60_000;
const base = { connectedAt: 0, capMs: 60 * MIN, marginMs: 3 * MIN, hardMarginMs: 15_000 };

describe('session rotation planning', () => {
  it('keeps a young session, rotates near the cap only at a turn boundary, forced at the hard margin', () => {
    expect(planRotation({ ...base, now: 30 * MIN, atTurnBoundary: true })).toBe('keep');
    expect(planRotation({ ...base, now: 58 * MIN, atTurnBoundary: false })).toBe('keep');
    expect(planRotation({ ...base, now: 58 * MIN, atTurnBoundary: true })).toBe('rotate');
    expect(planRotation({ ...base, now: 60 * MIN - 10_000, atTurnBoundary: false })).toBe('rotate');
  });

  it("uses Live's expires_at when it comes before the cap", () => {
    expect(sessionEnd({ connectedAt: 0, capMs: 60 * MIN, expiresAt: 20 * MIN })).toBe(20 * MIN);
    expect(planRotation({ ...base, expiresAt: 20 * MIN, now: 18 * MIN, atTurnBoundary: true })).toBe(
      'rotate',
    );
  });
});

describe('PCM at the network edge', () => {
  it('round-trips base64 PCM16 little-endian', () => {
    const x = Int16Array.from([0, 1, -1, 32767, -32768, 1234]);
    expect(Array.from(base64ToInt16(int16ToBase64(x)))).toEqual(Array.from(x));
    expect(int16ToBase64(Int16Array.from([1]))).toBe(Buffer.from([1, 0]).toString('base64'));
  });

  it('resamples 16 → 24 kHz in chunks with the right length and no discontinuity', () => {
    const r = new LinearResampler(16000, 24000);
    const tone = (n: number, off: number) =>
      Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * 300 * (i + off)) / 16000));
    const a = r.process(tone(160, 0));
    const b = r.process(tone(160, 160));
    expect(a.length + b.length).toBeGreaterThanOrEqual(479);
    expect(a.length + b.length).toBeLessThanOrEqual(481);
    const joined = new Float32Array([...a, ...b]);
    let maxStep = 0;
    for (let i = 1; i < joined.length; i++) maxStep = Math.max(maxStep, Math.abs(joined[i] - joined[i - 1]));
    // A 300 Hz sine at 24 kHz moves at most 2π·300/24000 ≈ 0.079 per sample.
    expect(maxStep).toBeLessThan(0.085);
  });
});
