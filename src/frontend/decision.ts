/**
 * The barge-in decision: "is the customer speaking?", per VAD chunk (32 ms), as a plain state machine
 * (no I/O, unit-tested on its own).
 *
 * Silero alone is not enough: it fires on residual echo 40 dB down (it is nearly level-blind) and on
 * babble noise. So a chunk only counts as customer speech when, besides the VAD probability,
 *  - its output level stands clear of the background (noise floor tracked on the output), and
 *  - while the far end plays, its output level is not explainable as leaked echo: it must be within
 *    `echoMarginDb` of the canceller's own echo estimate (held over the room's decay). The customer
 *    at up to 15 dB below the echo passes easily; residual echo 30+ dB below the echo does not.
 * With the far end silent only the VAD and the noise margin apply, so the customer is never harder
 * to hear than with no agent speaking.
 */

export interface DecisionConfig {
  /** VAD probability that counts as speech. */
  onThreshold: number;
  /** Consecutive qualifying chunks to start. */
  onChunks: number;
  /** Output level above the tracked noise floor a speech chunk needs, dB. */
  noiseMarginDb: number;
  /** While the far end plays: output level relative to the (held) echo estimate a chunk needs, dB... */
  echoMarginDb: number;
  /** ...and at least this far above the residual echo the canceller's ERLE implies (echo - ERLE), dB:
   * residual bursts sit ~10 dB above the average residual, the customer far higher. */
  residualMarginDb: number;
  /** While the canceller has not converged (ERLE estimate below convergedErleDb) and the far end
   * plays, its echo estimate is too low to gate with: demand this VAD probability... */
  warmupThreshold: number;
  /** ...on this many consecutive chunks. */
  warmupChunks: number;
  convergedErleDb: number;
  /**
   * Level evidence for double talk: Silero often scores a customer talking *over* the agent low
   * (0–0.3 for 300 ms) while the output sits at the echo's own level — 30 dB above the residual a
   * converged canceller leaves. Output within this many dB of the echo estimate...
   */
  strongEchoMarginDb: number;
  /** ...with at least this VAD probability, on strongChunks consecutive chunks, also starts speech. */
  strongProb: number;
  strongChunks: number;
  /** Below this VAD probability a chunk counts as silence... */
  offThreshold: number;
  /** ...and this many silent chunks in a row end the speech (8 × 32 ms ≈ 256 ms). */
  offChunks: number;
}

export const defaultDecisionConfig: DecisionConfig = {
  onThreshold: 0.5,
  onChunks: 1,
  noiseMarginDb: 14,
  echoMarginDb: -22,
  residualMarginDb: 16,
  strongEchoMarginDb: -10,
  strongProb: 0.1,
  strongChunks: 2,
  warmupThreshold: 0.9,
  warmupChunks: 3,
  convergedErleDb: 12,
  offThreshold: 0.3,
  offChunks: 8,
};

export interface DecisionInput {
  speechProb: number;
  farEndActive: boolean;
  /** Output (cleaned) level of the chunk, dB (10·log10 of mean square). */
  outDb: number;
  /** The canceller's echo estimate over the chunk, held over the echo's decay, dB. */
  echoDb: number;
  /** Noise floor of the output, dB. */
  noiseDb: number;
  /** The canceller's ERLE estimate, dB (0 before it has seen far-end audio). */
  erleDb: number;
}

export type DecisionEvent = 'speech_start' | 'speech_end' | undefined;

export class BargeInDecision {
  active = false;
  private silent = 0;
  private qualifying = 0;
  private strongRun = 0;

  constructor(readonly config: DecisionConfig = defaultDecisionConfig) {}

  reset(): void {
    this.active = false;
    this.silent = 0;
    this.qualifying = 0;
    this.strongRun = 0;
  }

  /** Output at the echo's level from a converged canceller, with some VAD support (see config). */
  strongEvidence(x: DecisionInput): boolean {
    const c = this.config;
    return (
      x.farEndActive &&
      x.erleDb >= c.convergedErleDb &&
      x.outDb - x.echoDb >= c.strongEchoMarginDb &&
      x.outDb - x.noiseDb >= c.noiseMarginDb &&
      x.speechProb >= c.strongProb
    );
  }

  /** Whether a chunk looks like the customer speaking (see the file comment). */
  qualifies(x: DecisionInput): boolean {
    const c = this.config;
    if (x.speechProb < c.onThreshold) return false;
    if (x.outDb - x.noiseDb < c.noiseMarginDb) return false;
    if (x.farEndActive) {
      const converged = x.erleDb >= c.convergedErleDb;
      // never stricter than -12 dB: a customer 15 dB under the echo still has syllables above that
      const margin = converged
        ? Math.min(-12, Math.max(c.echoMarginDb, c.residualMarginDb - x.erleDb))
        : c.echoMarginDb;
      if (x.outDb - x.echoDb < margin) return false;
    }
    if (x.farEndActive && x.erleDb < c.convergedErleDb && x.speechProb < c.warmupThreshold) return false;
    return true;
  }

  /** Feed one VAD chunk; returns the event it causes, if any. */
  update(x: DecisionInput): DecisionEvent {
    const c = this.config;
    if (!this.active) {
      this.qualifying = this.qualifies(x) ? this.qualifying + 1 : 0;
      this.strongRun = this.strongEvidence(x) ? this.strongRun + 1 : 0;
      const warming = x.farEndActive && x.erleDb < c.convergedErleDb;
      if (this.qualifying >= (warming ? c.warmupChunks : c.onChunks) || this.strongRun >= c.strongChunks) {
        this.active = true;
        this.silent = 0;
        this.qualifying = 0;
        this.strongRun = 0;
        return 'speech_start';
      }
      return undefined;
    }
    // silence: the VAD says so, or the chunk fell back to the background / the echo's level
    const quiet =
      x.outDb - x.noiseDb < c.noiseMarginDb - 3 ||
      (x.farEndActive && x.outDb - x.echoDb < c.echoMarginDb - 3);
    if (x.speechProb < c.offThreshold || quiet) {
      this.silent++;
      if (this.silent >= c.offChunks) {
        this.active = false;
        this.silent = 0;
        return 'speech_end';
      }
    } else {
      this.silent = 0;
    }
    return undefined;
  }
}

/**
 * Output noise floor: a low percentile (10th) of the chunk levels of the last ~2 s. A plain minimum
 * would lock onto the odd near-silent chunk the suppressor produces and make babble look like speech.
 */
export class NoiseFloor {
  db = -90;
  private readonly ring: Float64Array;
  private readonly scratch: Float64Array;
  private n = 0;
  constructor(
    chunks = 64,
    private readonly percentile = 0.1,
  ) {
    this.ring = new Float64Array(chunks);
    this.scratch = new Float64Array(chunks);
  }
  update(levelDb: number): number {
    this.ring[this.n % this.ring.length] = levelDb;
    this.n++;
    const m = Math.min(this.n, this.ring.length);
    const s = this.scratch.subarray(0, m);
    s.set(this.ring.subarray(0, m));
    s.sort();
    this.db = s[Math.floor(this.percentile * (m - 1))];
    return this.db;
  }
  reset(): void {
    this.n = 0;
    this.db = -90;
  }
}
