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

/** The agent playing through a converged canceller: echo estimate -15 dB, residual 35 dB under it. */
const echoing: DecisionInput = {
  ...quietFarEnd,
  farEndActive: true,
  echoDb: -15,
  noiseDb: -70,
  residualDb: -50,
};

/** Feeds the agent-only chunks a converged canceller produces until the warm-up is over. */
function converged(d: BargeInDecision): BargeInDecision {
  const agentOnly = { ...quietFarEnd, farEndActive: true, echoDb: -15, outDb: -60, residualDb: -50 };
  for (let i = 0; i < d.config.warmupFarChunks; i++) expect(d.update(agentOnly)).toBeUndefined();
  return d;
}

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
    const d = converged(new BargeInDecision());
    // residual echo 40 dB under the echo estimate: the VAD may say speech, the level says echo
    expect(d.update({ ...echoing, speechProb: 0.99, outDb: -55 })).toBeUndefined();
    // the customer 12 dB under the echo (echo-to-customer ratio +12 dB) is within the margin
    expect(d.update({ ...echoing, speechProb: 0.9, outDb: -27 })).toBe('speech_start');
  });

  it("rejects a residual-echo burst that stays close to the canceller's residual estimate", () => {
    const d = converged(new BargeInDecision());
    // a distorted room: the burst is only 10 dB under the echo estimate, Silero says speech, but the
    // output is just 6 dB above what the canceller itself says is left of the echo
    const burst = {
      ...quietFarEnd,
      farEndActive: true,
      echoDb: -20,
      noiseDb: -60,
      outDb: -30,
      residualDb: -36,
    };
    for (let n = 0; n < 3; n++) {
      for (let i = 0; i < d.config.sustainChunks - 1; i++)
        expect(d.update({ ...burst, speechProb: 0.9 })).toBeUndefined();
      expect(d.update({ ...burst, speechProb: 0.2 })).toBeUndefined();
    }
    // the customer at the same level stands far above the residual estimate
    expect(d.update({ ...burst, residualDb: -50, speechProb: 0.9 })).toBe('speech_start');
  });

  it('starts on a VAD held up for sustainChunks when the residual estimate explains the onset', () => {
    const d = converged(new BargeInDecision());
    const onset = {
      ...quietFarEnd,
      farEndActive: true,
      echoDb: -20,
      noiseDb: -60,
      outDb: -32,
      residualDb: -38,
    };
    for (let i = 0; i < d.config.sustainChunks - 1; i++)
      expect(d.update({ ...onset, speechProb: 0.7 })).toBeUndefined();
    expect(d.update({ ...onset, speechProb: 0.7 })).toBe('speech_start');
  });

  it('starts on level evidence when Silero scores a customer talking over the agent low', () => {
    const d = converged(new BargeInDecision());
    // output at the echo estimate's level from a canceller with 33 dB ERLE: not residual echo;
    // Silero well under onThreshold but at strongProb
    const overTalk = {
      ...quietFarEnd,
      farEndActive: true,
      echoDb: -20,
      erleDb: 33,
      noiseDb: -47,
      outDb: -20,
      residualDb: -40,
      speechProb: defaultDecisionConfig.strongProb,
    };
    expect(d.update(overTalk)).toBeUndefined();
    expect(d.update(overTalk)).toBe('speech_start');
    // the same level with no VAD support at all is not enough (an echo-path change, a door)
    const d2 = converged(new BargeInDecision());
    for (let i = 0; i < 5; i++) expect(d2.update({ ...overTalk, speechProb: 0.0 })).toBeUndefined();
    // nor is an output close to the residual estimate (a burst at the echo's level)
    const d3 = converged(new BargeInDecision());
    for (let i = 0; i < 5; i++) expect(d3.update({ ...overTalk, residualDb: -28 })).toBeUndefined();
  });

  it("with the canceller's double-talk flag up, takes a soft customer onset under the ERLE-implied margin", () => {
    // a converged canceller (28 dB ERLE: implied margin -12 dB) and a customer 17 dB under the echo
    // estimate, 12 dB above the residual estimate, Silero sure
    const soft = {
      ...quietFarEnd,
      farEndActive: true,
      echoDb: -20,
      erleDb: 28,
      noiseDb: -60,
      outDb: -37,
      residualDb: -49,
      speechProb: 0.7,
    };
    // without the flag this is not enough: residual bursts reach this level
    const d = converged(new BargeInDecision());
    for (let i = 0; i < 3; i++) expect(d.update({ ...soft, doubleTalk: 0.3 })).toBeUndefined();
    const d2 = converged(new BargeInDecision());
    expect(d2.update({ ...soft, doubleTalk: 0.7 })).toBe('speech_start');
    // the flag does not open the residual-estimate margin
    const d3 = converged(new BargeInDecision());
    for (let i = 0; i < 3; i++)
      expect(d3.update({ ...soft, doubleTalk: 1, residualDb: -42 })).toBeUndefined();
  });

  it('starts on one chunk at the echo level, far above the residual, flagged double talk, Silero low', () => {
    const loud = {
      ...quietFarEnd,
      farEndActive: true,
      echoDb: -20,
      erleDb: 28,
      noiseDb: -50,
      outDb: -18,
      residualDb: -40,
      speechProb: 0.15,
      doubleTalk: 1,
    };
    expect(converged(new BargeInDecision()).update(loud)).toBe('speech_start');
    // not without the flag over the whole chunk, nor close to the residual estimate, nor with no VAD
    const cases = [{ doubleTalk: 0.6 }, { residualDb: -32 }, { speechProb: 0.02 }];
    for (const c of cases) {
      const d = converged(new BargeInDecision());
      expect(d.update({ ...loud, ...c })).toBeUndefined();
    }
  });

  it('during the warm-up ignores the unconverged echo and wants a sure VAD above the echo estimate', () => {
    const d = new BargeInDecision();
    // the first second of the agent's voice: the output 5-20 dB under the (too low) echo estimate and
    // Silero sure it is speech; the suppressor already makes the ERLE estimate look converged
    const warming = { ...quietFarEnd, farEndActive: true, echoDb: -20, erleDb: 15, outDb: -28, noiseDb: -70 };
    for (let i = 0; i < 10; i++) expect(d.update({ ...warming, speechProb: 0.97 })).toBeUndefined();
    // a customer louder than the echo still gets through, on warmupChunks sure chunks
    const loud = { ...warming, outDb: -18 };
    expect(d.update({ ...loud, speechProb: 0.8 })).toBeUndefined();
    for (let i = 0; i < defaultDecisionConfig.warmupChunks - 1; i++)
      expect(d.update({ ...loud, speechProb: 0.95 })).toBeUndefined();
    expect(d.update({ ...loud, speechProb: 0.95 })).toBe('speech_start');
  });

  it('a peek between chunks starts speech only when sure, and otherwise changes nothing', () => {
    const d = converged(new BargeInDecision());
    const customer = { ...echoing, outDb: -27 };
    expect(d.couldStartAtOnce({ ...customer, speechProb: 0 })).toBe(true);
    // residual echo: no VAD would make it start, so the pipeline spends no Silero run on it
    expect(d.couldStartAtOnce({ ...customer, outDb: -55 })).toBe(false);
    // a chunk would start at onThreshold; a peek wants peekProb
    const between = (d.config.onThreshold + d.config.peekProb) / 2;
    expect(d.peek({ ...customer, speechProb: between })).toBeUndefined();
    expect(d.active).toBe(false);
    expect(d.peek({ ...customer, speechProb: d.config.peekProb })).toBe('speech_start');
    expect(d.active).toBe(true);
    expect(d.couldStartAtOnce(customer)).toBe(false); // already speaking
    // warm-up starts need several sure chunks: a peek never shortcuts them, nor counts as one
    const w = new BargeInDecision();
    const loud = { ...customer, erleDb: 15, outDb: -12, speechProb: 0.99 };
    expect(w.couldStartAtOnce(loud)).toBe(false);
    expect(w.peek(loud)).toBeUndefined();
    for (let i = 0; i < defaultDecisionConfig.warmupChunks - 1; i++) expect(w.update(loud)).toBeUndefined();
    expect(w.peek(loud)).toBeUndefined();
    expect(w.update(loud)).toBe('speech_start');
  });

  it('the near-end detector starts speech after nearEndHops sure hops, after the warm-up only', () => {
    const c = defaultDecisionConfig;
    const cold = new BargeInDecision();
    // before the warm-up: the detector's input (the canceller's figures) is not to be trusted yet
    for (let i = 0; i < c.nearEndHops + 2; i++) expect(cold.nearEndHop(0.99, true)).toBeUndefined();
    // (hops in a row: the window as wide as the count)
    const d = converged(new BargeInDecision({ ...c, nearEndWindow: c.nearEndHops }));
    for (let i = 0; i < c.nearEndHops - 1; i++) expect(d.nearEndHop(0.99, true)).toBeUndefined();
    // a hop under the threshold breaks the run
    expect(d.nearEndHop(c.nearEndProb - 0.01, true)).toBeUndefined();
    for (let i = 0; i < c.nearEndHops - 1; i++) expect(d.nearEndHop(0.99, true)).toBeUndefined();
    expect(d.nearEndHop(0.99, true)).toBe('speech_start');
    expect(d.active).toBe(true);
    // while speaking it starts nothing more, and the far end silent (Silero judges alone) neither
    expect(d.nearEndHop(0.99, true)).toBeUndefined();
    const e = converged(new BargeInDecision());
    for (let i = 0; i < c.nearEndHops + 2; i++) expect(e.nearEndHop(0.99, false)).toBeUndefined();
  });

  it('the near-end detector counts its sure hops within a window: a dip mid-onset is forgiven', () => {
    const c = { ...defaultDecisionConfig, nearEndHops: 6, nearEndWindow: 8 };
    const d = converged(new BargeInDecision(c));
    // a customer under a distorted echo: sure hops with dips between them
    const onset = [0.98, 0.8, 0.98, 0.8, 0.99, 0.99, 0.97];
    for (const p of onset) expect(d.nearEndHop(p, true)).toBeUndefined();
    expect(d.nearEndHop(0.99, true)).toBe('speech_start');
    // hops older than the window are forgotten: 5 sure hops, 3 unsure, then 1 sure is not enough
    const e = converged(new BargeInDecision(c));
    for (const p of [0.99, 0.99, 0.99, 0.99, 0.99, 0.5, 0.5, 0.5, 0.99])
      expect(e.nearEndHop(p, true)).toBeUndefined();
  });

  it('the near-end detector also starts speech on summed evidence, with some support from Silero', () => {
    // (off by default; the settings the README measured)
    const sum = { ...defaultDecisionConfig, nearEndEvidence: 20 };
    // a customer far under a distorted echo: the detector at 0.6-0.92 with dips, never 6 sure hops
    const onset = [0.85, 0.9, 0.7, 0.92, 0.88, 0.6];
    const supported = { ...echoing, speechProb: 0.5 }; // Silero unsure: no Silero rule starts on it
    const d = converged(new BargeInDecision(sum));
    expect(d.update(supported)).toBeUndefined();
    let startedAt = -1;
    for (let i = 0; i < 60 && startedAt < 0; i++) {
      if (d.nearEndHop(onset[i % onset.length], true) === 'speech_start') startedAt = i;
    }
    // each hop adds logit(p) - logit(0.62): ~6.7 per 6 hops, so 20 takes about 18 hops (180 ms)
    expect(startedAt).toBeGreaterThanOrEqual(12);
    expect(startedAt).toBeLessThanOrEqual(24);
    expect(d.startReason).toBe('near-end-sum');
    // the same detector without Silero's support in the last three chunks: no start
    const e = converged(new BargeInDecision(sum));
    for (let i = 0; i < 60; i++) expect(e.nearEndHop(onset[i % onset.length], true)).toBeUndefined();
    // Silero's support must be recent: one supported chunk, then three unsure ones, is forgotten
    const f = converged(new BargeInDecision(sum));
    f.update(supported);
    for (let i = 0; i < 3; i++) f.update({ ...echoing, speechProb: 0.1 });
    for (let i = 0; i < 60; i++) expect(f.nearEndHop(onset[i % onset.length], true)).toBeUndefined();
    // and nearEndEvidence 0 (the default) turns the rule off
    const g = converged(new BargeInDecision());
    g.update(supported);
    for (let i = 0; i < 60; i++) expect(g.nearEndHop(onset[i % onset.length], true)).toBeUndefined();
  });

  it('summed evidence forgets short bursts: residual echo that lifts the detector for a few hops', () => {
    const sum = { ...defaultDecisionConfig, nearEndEvidence: 20 };
    const d = converged(new BargeInDecision(sum));
    d.update({ ...echoing, speechProb: 0.9, outDb: -60 }); // Silero fooled too, below the noise margin
    // 4 hops at 0.99 (clipped: 4 x 4.1 = 16.4 < 20), then the detector falls back: never a start
    const burst = [0.99, 0.99, 0.99, 0.99, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
    for (let i = 0; i < 10 * burst.length; i++)
      expect(d.nearEndHop(burst[i % burst.length], true)).toBeUndefined();
    // one overconfident hop counts as a sure one, not as many
    const e = converged(new BargeInDecision(sum));
    e.update({ ...echoing, speechProb: 0.9, outDb: -60 });
    for (const p of [0.999999, 0.999999, 0.1, 0.1, 0.1, 0.1]) expect(e.nearEndHop(p, true)).toBeUndefined();
  });

  it('the near-end detector keeps speech going while Silero scores the customer low', () => {
    const d = converged(new BargeInDecision());
    expect(d.update({ ...echoing, speechProb: 0.9, outDb: -27 })).toBe('speech_start');
    const low = { ...echoing, speechProb: 0.05, outDb: -27 };
    for (let i = 0; i < 3 * defaultDecisionConfig.offChunks; i++)
      expect(d.update({ ...low, nearEnd: defaultDecisionConfig.nearEndHoldProb })).toBeUndefined();
    expect(d.active).toBe(true);
    for (let i = 0; i < defaultDecisionConfig.offChunks - 1; i++)
      expect(d.update({ ...low, nearEnd: 0.1 })).toBeUndefined();
    expect(d.update({ ...low, nearEnd: 0.1 })).toBe('speech_end');
  });

  it("while the far end plays, the near-end detector vetoes Silero's starts it does not back", () => {
    const customerChunk = { ...echoing, speechProb: 0.95, outDb: -27 };
    // babble or a residual burst that fools Silero and the levels: the detector stayed low
    const d = converged(new BargeInDecision());
    // (fewer chunks than the sustained rule needs: that one has its own form of the veto, below)
    for (let i = 0; i < d.config.sustainChunks - 1; i++)
      expect(d.update({ ...customerChunk, nearEnd: 0.2 })).toBeUndefined();
    expect(d.update({ ...customerChunk, nearEnd: defaultDecisionConfig.nearEndVetoProb })).toBe(
      'speech_start',
    );
    expect(d.startReason).toBe('vad');
    // no detector (a reference system), or the far end silent: Silero's rules alone
    expect(converged(new BargeInDecision()).update(customerChunk)).toBe('speech_start');
    expect(
      converged(new BargeInDecision()).update({ ...customerChunk, farEndActive: false, nearEnd: 0 }),
    ).toBe('speech_start');
  });

  it('the sustained rule needs the detector in one chunk of its run, not in each', () => {
    // Silero held up by a residual burst the detector never backs: no start, however long
    const burst = { ...echoing, speechProb: 0.9, outDb: -33, residualDb: -38 };
    const d = converged(new BargeInDecision());
    for (let i = 0; i < 3 * d.config.sustainChunks; i++)
      expect(d.update({ ...burst, nearEnd: 0.1 })).toBeUndefined();
    // a customer's first word the detector hears, then a pause it does not: the run starts speech
    const e = converged(new BargeInDecision());
    expect(e.update({ ...burst, nearEnd: defaultDecisionConfig.nearEndVetoProb })).toBeUndefined();
    for (let i = 0; i < e.config.sustainChunks - 2; i++)
      expect(e.update({ ...burst, nearEnd: 0.1 })).toBeUndefined();
    expect(e.update({ ...burst, nearEnd: 0.1 })).toBe('speech_start');
    expect(e.startReason).toBe('sustained');
    // the backing belongs to the run: a break in Silero's run forgets it
    const f = converged(new BargeInDecision());
    expect(f.update({ ...burst, nearEnd: 0.9 })).toBeUndefined();
    expect(f.update({ ...burst, speechProb: 0.1, nearEnd: 0.1 })).toBeUndefined();
    for (let i = 0; i < 2 * f.config.sustainChunks; i++)
      expect(f.update({ ...burst, nearEnd: 0.1 })).toBeUndefined();
  });

  it('counts the warm-up in far-end audio, and reset() starts it again', () => {
    const d = new BargeInDecision();
    const x = { ...quietFarEnd, farEndActive: true, echoDb: -20, erleDb: 25, residualDb: -50 };
    // silence before the agent speaks does not count
    for (let i = 0; i < 100; i++) d.update({ ...quietFarEnd });
    expect(d.converged(x)).toBe(false);
    converged(d);
    expect(d.converged(x)).toBe(true);
    expect(d.converged({ ...x, erleDb: 5 })).toBe(false);
    d.reset();
    expect(d.converged(x)).toBe(false);
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
    // the near-end detector's settings: a window narrower than its count is named as such
    expect(
      frontendSchema.parse({ decision: { nearEndHops: 5, nearEndWindow: 8 } }).decision.nearEndWindow,
    ).toBe(8);
    expect(() => frontendSchema.parse({ decision: { nearEndHops: 8, nearEndWindow: 6 } })).toThrow(
      /nearEndWindow must be at least nearEndHops/,
    );
    expect(() => frontendSchema.parse({ decision: { nearEndProb: 0.2 } })).toThrow();
    // the evidence rule's settings: in range, and a bad one is named
    expect(frontendSchema.parse({ decision: { nearEndEvidence: 0 } }).decision.nearEndEvidence).toBe(0);
    expect(() => frontendSchema.parse({ decision: { nearEndEvidenceProb: 0.3 } })).toThrow(
      /nearEndEvidenceProb/,
    );
    expect(() => frontendSchema.parse({ decision: { nearEndEvidenceVadProb: 1.5 } })).toThrow(
      /nearEndEvidenceVadProb/,
    );
  });
});
