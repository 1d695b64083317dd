import { describe, expect, it } from 'vitest';
import { EchoGate } from '../../src/offline/echo-gate.js';

const N = 160;
/** A deterministic "speech-like" tone burst generator. */
function tone(freq: number, amp: number, frame: number, out: Float32Array): Float32Array {
  for (let i = 0; i < N; i++) out[i] = amp * Math.sin((2 * Math.PI * freq * (frame * N + i)) / 16000);
  return out;
}

describe('echo gate (no-AEC barge-in stand-in)', () => {
  it('echo alone never counts as the customer, and none of our prompt reaches the recogniser', () => {
    const g = new EchoGate({ frameSamples: N });
    const ref = new Float32Array(N);
    const mic = new Float32Array(N);
    let passed = 0;
    for (let f = 0; f < 300; f++) {
      tone(440, 0.5, f, ref);
      for (let i = 0; i < N; i++) mic[i] = ref[i] * 0.3; // echo at −10 dB
      g.process(mic, ref);
      expect(g.nearEnd).toBe(false);
      if (g.hasFeed) passed++;
    }
    expect(passed).toBe(0);
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
      if (firstFedFrame < 0 && g.hasFeed) firstFedFrame = f - 15; // capture frame of the fed audio
    }
    expect(startFrame).toBe(104);
    expect(firstFedFrame).toBeLessThanOrEqual(100); // nothing of the onset was cut
  });

  it('with nothing playing, mic speech passes straight through (after the look-ahead delay)', () => {
    const g = new EchoGate({ frameSamples: N, lookaheadFrames: 3 });
    const ref = new Float32Array(N);
    const mic = new Float32Array(N);
    const seen: (number | null)[] = [];
    for (let f = 0; f < 10; f++) {
      mic.fill(f / 100);
      g.process(mic, ref);
      seen.push(g.hasFeed ? g.feed[0] : null);
    }
    expect(seen.slice(0, 3)).toEqual([null, null, null]); // the delay line is filling
    expect(seen[3]).toBeCloseTo(0);
    expect(seen[9]).toBeCloseTo(0.06);
  });

  it('gate(): with an external near-end decision, passes near-end speech and holds back our prompt', () => {
    const g = new EchoGate({ frameSamples: N, lookaheadFrames: 2 });
    const x = new Float32Array(N).fill(0.1);
    const out: boolean[] = [];
    for (let f = 0; f < 12; f++) {
      const far = f < 8;
      const near = f >= 5 && f < 7;
      g.gate(x, far, near);
      if (f === 5) expect(g.speechStart).toBe(true);
      out.push(g.hasFeed);
    }
    // Emitted frame = step − 2. Prompt-only frames 0..2 and 7 are dropped; 3..6 pass (the onset at 5
    // minus the look-ahead, through the end of the near-end speech); after the far end stops, all pass.
    expect(out).toEqual([false, false, false, false, false, true, true, true, true, false, true, true]);
  });
});
