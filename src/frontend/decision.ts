/**
 * The barge-in decision: "is the customer speaking?", per VAD chunk (32 ms), as a plain state machine
 * (no I/O, unit-tested on its own).
 *
 * Echo-aware: while the far end plays and the canceller does not see double talk, whatever speech
 * survives in the output is more likely leaked echo than the customer, so the onset needs a higher
 * VAD probability. When the canceller flags double talk, or the far end is silent, the plain
 * threshold applies — the customer is never made harder to hear than with no agent speaking.
 */

export interface DecisionConfig {
  /** VAD probability that starts speech when no echo can be present. */
  onThreshold: number;
  /** VAD probability that starts speech while the far end plays without double talk. */
  onThresholdEcho: number;
  /** Below this a chunk counts as silence... */
  offThreshold: number;
  /** ...and this many silent chunks in a row end the speech (8 × 32 ms ≈ 256 ms). */
  offChunks: number;
}

export const defaultDecisionConfig: DecisionConfig = {
  onThreshold: 0.5,
  onThresholdEcho: 0.85,
  offThreshold: 0.3,
  offChunks: 8,
};

export interface DecisionInput {
  speechProb: number;
  farEndActive: boolean;
  doubleTalk: boolean;
}

export type DecisionEvent = 'speech_start' | 'speech_end' | undefined;

export class BargeInDecision {
  active = false;
  private silent = 0;

  constructor(readonly config: DecisionConfig = defaultDecisionConfig) {}

  reset(): void {
    this.active = false;
    this.silent = 0;
  }

  /** Feed one VAD chunk; returns the event it causes, if any. */
  update(x: DecisionInput): DecisionEvent {
    const c = this.config;
    if (!this.active) {
      const threshold = x.farEndActive && !x.doubleTalk ? c.onThresholdEcho : c.onThreshold;
      if (x.speechProb >= threshold) {
        this.active = true;
        this.silent = 0;
        return 'speech_start';
      }
      return undefined;
    }
    if (x.speechProb < c.offThreshold) {
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
