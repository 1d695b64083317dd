import { describe, expect, it } from 'vitest';
import {
  defaultOnsetConfig,
  emptyOnsetInput,
  OnsetDetector,
  type OnsetInput,
  RunningLevelPercentile,
} from '../../src/frontend/onset.js';

/** The agent plays, the canceller is converged: linear filter 30 dB, output at residual-echo level. */
const echoing: OnsetInput = {
  ...emptyOnsetInput,
  outDb: -70,
  echoDb: -30,
  noiseDb: -72,
  erleDb: 35,
  micDb: -30,
  errorDb: -60,
  refActive: true,
  farEndActive: true,
};

/** Feed n frames of x (the linear ERLE and the background settle). */
function settle(d: OnsetDetector, x: OnsetInput, n = 200): void {
  for (let i = 0; i < n; i++) expect(d.update(x)).toBe(false);
}

describe('running level percentile', () => {
  it('tracks a percentile of the last N levels at 1 dB resolution, forgetting older ones', () => {
    const p = new RunningLevelPercentile(10);
    expect(p.at(0.9)).toBe(Number.NEGATIVE_INFINITY);
    for (let i = 0; i < 10; i++) p.push(-60 + i); // -60 … -51
    expect(p.at(0)).toBe(-59.5);
    expect(p.at(0.9)).toBe(-51.5);
    for (let i = 0; i < 10; i++) p.push(-30); // the old levels leave the window
    expect(p.at(0)).toBe(-29.5);
    expect(p.count).toBe(10);
    p.push(-500); // clamped into the lowest bin, not out of range
    expect(p.at(0)).toBe(-139.5);
  });
});

describe('onset detector', () => {
  it('flags the first frame of a customer 6 dB under the echo, not the residual echo before it', () => {
    const d = new OnsetDetector();
    settle(d, echoing);
    expect(d.linearErleDb()).toBeGreaterThan(defaultOnsetConfig.convergedLinearErleDb);
    // the customer's first frame: the output jumps to within 6 dB of the echo estimate
    expect(d.update({ ...echoing, outDb: -36, errorDb: -36, doubleTalk: true })).toBe(true);
    expect(d.likely).toBe(true);
    expect(d.update(echoing)).toBe(false);
  });

  it('ignores a residual-echo burst far under the echo estimate, even well above the background', () => {
    const d = new OnsetDetector();
    settle(d, echoing);
    // 22 dB above the usual output, but 18 dB under the echo: what a converged canceller leaks
    expect(d.update({ ...echoing, outDb: -48 })).toBe(false);
  });

  it("needs the output well above what this room's background and residual bursts usually reach", () => {
    const d = new OnsetDetector();
    // babble: the output swings between -70 and -50 while nobody near the terminal speaks
    for (let i = 0; i < 200; i++) d.update({ ...echoing, outDb: i % 4 === 0 ? -50 : -70 });
    expect(d.backgroundDb()).toBeCloseTo(-49.5, 5);
    expect(d.update({ ...echoing, outDb: -40 })).toBe(false); // a babble peak, 10 dB over
    expect(d.update({ ...echoing, outDb: -32 })).toBe(true); // the customer, 18 dB over
  });

  it("the customer's own frames never raise the background", () => {
    const d = new OnsetDetector();
    settle(d, echoing);
    const before = d.backgroundDb();
    for (let i = 0; i < 300; i++) d.update({ ...echoing, outDb: -30, errorDb: -30, speaking: true });
    expect(d.backgroundDb()).toBe(before);
  });

  it('before the linear filter converges (its output is mostly echo) only output over the echo estimate counts', () => {
    const d = new OnsetDetector();
    // cold start: the suppressor already reports 25 dB ERLE, the linear filter removes 6 dB
    const cold = { ...echoing, erleDb: 25, errorDb: -36, outDb: -60 };
    settle(d, { ...cold, outDb: -75, refActive: false, farEndActive: false }, 30); // before the agent
    settle(d, cold, 10);
    // the first frames of far-end audio: the echo estimate is not formed, nothing counts yet
    expect(d.update({ ...cold, outDb: -28 })).toBe(false);
    settle(d, cold, 100);
    expect(d.linearErleDb()).toBeLessThan(defaultOnsetConfig.convergedLinearErleDb);
    expect(d.update({ ...cold, outDb: -38 })).toBe(false); // 8 dB under the echo estimate: could be leak
    // a customer louder than the echo estimate and far above the background passes
    expect(d.update({ ...cold, outDb: -28 })).toBe(true);
    // with the far end silent, levels alone decide again
    expect(d.update({ ...cold, farEndActive: false, refActive: false, outDb: -38 })).toBe(true);
  });

  it('in a cold start with loud leak bursts, a customer at the echo level still counts (15 dB over them)', () => {
    const d = new OnsetDetector();
    const cold = { ...echoing, erleDb: 25, errorDb: -36 };
    // the first reply leaks 14–18 dB under the echo estimate (-30 dB): that is this room's background now
    for (let i = 0; i < 150; i++) expect(d.update({ ...cold, outDb: i % 2 ? -44 : -48 })).toBe(false);
    expect(d.linearErleDb()).toBeLessThan(defaultOnsetConfig.convergedLinearErleDb);
    expect(d.update({ ...cold, outDb: -31 })).toBe(false); // under the echo estimate: could be leak
    // at the echo's level and ~15 dB over the leak: a customer talking over the first reply
    expect(d.update({ ...cold, outDb: -28 })).toBe(true);
  });

  it('needs the noise margin when nothing plays, and reset() forgets everything', () => {
    const d = new OnsetDetector();
    const quiet = { ...emptyOnsetInput, outDb: -75, noiseDb: -72 };
    settle(d, quiet, 50);
    expect(d.update({ ...quiet, outDb: -66 })).toBe(false); // 6 dB over the noise
    expect(d.update({ ...quiet, outDb: -40 })).toBe(true);
    d.reset();
    expect(d.likely).toBe(false);
    expect(d.linearErleDb()).toBe(0);
    expect(d.backgroundDb()).toBe(Number.NEGATIVE_INFINITY);
  });

  it('can ask for consecutive frames', () => {
    const d = new OnsetDetector({ ...defaultOnsetConfig, frames: 2 });
    settle(d, echoing);
    const talk = { ...echoing, outDb: -36, errorDb: -36, doubleTalk: true };
    expect(d.update(talk)).toBe(false);
    expect(d.update(talk)).toBe(true);
  });
});
