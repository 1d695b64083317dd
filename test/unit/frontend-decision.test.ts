import { describe, expect, it } from 'vitest';
import {
  BargeInDecision,
  type DecisionInput,
  defaultDecisionConfig,
  NoiseFloor,
} from '../../src/frontend/decision.js';

const quietFarEnd: DecisionInput = {
  speechProb: 0.1,
  farEndActive: false,
  outDb: -60,
  echoDb: -120,
  noiseDb: -60,
  erleDb: 30,
};

describe('barge-in decision', () => {
  it('starts on a loud VAD chunk with no far end, ends after offChunks silent chunks', () => {
    const d = new BargeInDecision();
    expect(d.update(quietFarEnd)).toBeUndefined();
    expect(d.update({ ...quietFarEnd, speechProb: 0.95, outDb: -26 })).toBe('speech_start');
    expect(d.active).toBe(true);
    for (let i = 0; i < defaultDecisionConfig.offChunks - 1; i++)
      expect(d.update(quietFarEnd)).toBeUndefined();
    expect(d.update(quietFarEnd)).toBe('speech_end');
    expect(d.active).toBe(false);
  });

  it('ignores speech-like chunks that sit in the background noise (babble)', () => {
    const d = new BargeInDecision();
    expect(d.update({ ...quietFarEnd, speechProb: 0.9, outDb: -50, noiseDb: -55 })).toBeUndefined();
    expect(d.active).toBe(false);
  });

  it('while the far end plays, rejects output at residual-echo level and accepts the customer', () => {
    const d = new BargeInDecision();
    const echoing = { ...quietFarEnd, farEndActive: true, echoDb: -15, noiseDb: -70 };
    // residual echo 40 dB under the echo estimate: the VAD may say speech, the level says echo
    expect(d.update({ ...echoing, speechProb: 0.99, outDb: -55 })).toBeUndefined();
    // the customer 12 dB under the echo (echo-to-customer ratio +12 dB) is within the margin
    expect(d.update({ ...echoing, speechProb: 0.9, outDb: -27 })).toBe('speech_start');
  });

  it('starts on level evidence when Silero scores a customer talking over the agent low', () => {
    const d = new BargeInDecision();
    // output at the echo estimate's level from a canceller with 33 dB ERLE: not residual echo
    const overTalk = {
      ...quietFarEnd,
      farEndActive: true,
      echoDb: -20,
      erleDb: 33,
      noiseDb: -47,
      outDb: -20,
      speechProb: 0.15,
    };
    expect(d.update(overTalk)).toBeUndefined();
    expect(d.update(overTalk)).toBe('speech_start');
    // the same level with no VAD support at all is not enough (an echo-path change, a door)
    const d2 = new BargeInDecision();
    for (let i = 0; i < 5; i++) expect(d2.update({ ...overTalk, speechProb: 0.02 })).toBeUndefined();
  });

  it('demands a surer VAD over several chunks while the canceller has not converged', () => {
    const d = new BargeInDecision();
    const warming = { ...quietFarEnd, farEndActive: true, echoDb: -20, erleDb: 3, outDb: -22, noiseDb: -70 };
    expect(d.update({ ...warming, speechProb: 0.8 })).toBeUndefined();
    for (let i = 0; i < defaultDecisionConfig.warmupChunks - 1; i++)
      expect(d.update({ ...warming, speechProb: 0.95 })).toBeUndefined();
    expect(d.update({ ...warming, speechProb: 0.95 })).toBe('speech_start');
  });
});

describe('noise floor', () => {
  it('follows a low percentile, not the single quietest chunk', () => {
    const nf = new NoiseFloor(64, 0.1);
    for (let i = 0; i < 64; i++) nf.update(i === 10 ? -90 : -45 + (i % 4));
    expect(nf.db).toBeGreaterThan(-46);
    expect(nf.db).toBeLessThan(-44);
  });
});

describe('frontend config section', () => {
  it('defaults to the decision defaults and rejects out-of-range margins', async () => {
    const { frontendSchema } = await import('../../src/config/sections/frontend.js');
    const { frontendOptionsFromConfig } = await import('../../src/frontend/pipeline.js');
    const cfg = frontendSchema.parse({});
    const opts = frontendOptionsFromConfig(cfg);
    expect(opts.modelsDir).toBeUndefined();
    for (const [k, v] of Object.entries(opts.decision ?? {})) {
      expect(v).toBe(defaultDecisionConfig[k as keyof typeof defaultDecisionConfig]);
    }
    expect(() => frontendSchema.parse({ decision: { onThreshold: 2 } })).toThrow();
    expect(() => frontendSchema.parse({ decision: { unknown: 1 } })).toThrow();
  });
});
