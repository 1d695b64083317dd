import { describe, expect, it } from 'vitest';
import { EchoGate } from '../../src/offline/echo-gate.js';

const N = 160;
/** A deterministic "speech-like" tone burst generator. */
function tone(freq: number, amp: number, frame: number, out: Float32Array): Float32Array {
  for (let i = 0; i < N; i++) out[i] = amp * Math.sin((2 * Math.PI * freq * (frame * N + i)) / 16000);
  return out;
}

describe('echo gate (no-AEC barge-in stand-in)', () => {
  it('echo alone never counts as the customer, and the recogniser hears comfort noise instead of our prompt', () => {
    const g = new EchoGate({ frameSamples: N });
    const ref = new Float32Array(N);
    const mic = new Float32Array(N);
    let fed = 0;
    let echo = 0;
    for (let f = 0; f < 300; f++) {
      tone(440, 0.5, f, ref);
      for (let i = 0; i < N; i++) mic[i] = ref[i] * 0.3; // echo at −10 dB
      g.process(mic, ref);
      expect(g.nearEnd).toBe(false);
      for (let i = 0; i < N; i++) {
        fed += g.feed[i] * g.feed[i];
        echo += mic[i] * mic[i];
      }
    }
    expect(fed).toBeGreaterThan(0); // never digital silence (it upsets the decoder's noise estimate)
    expect(10 * Math.log10(fed / echo)).toBeLessThan(-50);
    expect(g.couplingDb).toBeGreaterThan(-11.5);
    expect(g.couplingDb).toBeLessThan(-9);
  });

  it('the customer talking over the prompt is detected within onsetFrames, and its start reaches the recogniser', () => {
    const g = new EchoGate({ frameSamples: N, onsetFrames: 5, lookaheadFrames: 15 });
    const ref = new Float32Array(N);
    const mic = new Float32Array(N);
    const near = new Float32Array(N);
    let startFrame = -1;
    let firstFedFrame = -1;
    for (let f = 0; f < 200; f++) {
      tone(440, 0.5, f, ref);
      for (let i = 0; i < N; i++) mic[i] = ref[i] * 0.3;
      if (f >= 100) {
        tone(180, 0.8, f, near); // ≈ 17 dB over the echo: above the 12 dB margin
        for (let i = 0; i < N; i++) mic[i] += near[i];
      }
      g.process(mic, ref);
      if (g.speechStart && startFrame < 0) startFrame = f;
      if (firstFedFrame < 0 && g.feed.some((x) => x !== 0)) firstFedFrame = f - 15; // capture frame of the fed audio
    }
    expect(startFrame).toBe(104);
    expect(firstFedFrame).toBeLessThanOrEqual(100); // nothing of the onset was cut
  });

  it('with nothing playing, mic speech passes straight through (after the look-ahead delay)', () => {
    const g = new EchoGate({ frameSamples: N, lookaheadFrames: 3 });
    const ref = new Float32Array(N);
    const mic = new Float32Array(N);
    const seen: number[] = [];
    for (let f = 0; f < 10; f++) {
      mic.fill(f / 100);
      g.process(mic, ref);
      seen.push(g.feed[0]);
    }
    for (const x of seen.slice(0, 3)) expect(Math.abs(x)).toBeLessThan(1e-3); // comfort noise while the delay fills
    expect(seen[3]).toBeCloseTo(0);
    expect(seen[9]).toBeCloseTo(0.06);
  });
});
