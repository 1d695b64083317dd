/**
 * The barge-in and turn-taking policy, in frames of the capture clock (10 ms), so the engine is a
 * deterministic function of its inputs. Values come from config (conversation.bargeIn).
 */

export interface BargeInPolicy {
  /** Consecutive near-end frames before the agent is paused (1 = the first frame the front-end flags). */
  onsetFrames: number;
  /** Near-end speech accumulated while paused that makes it a real interruption (a backchannel is shorter). */
  confirmMs: number;
  /** Silence while paused that ends a candidate as false / backchannel → resume where it paused. */
  releaseMs: number;
  /**
   * Silence that releases a pause nothing but the level onset supported (no VAD speech, no
   * decision): an echo burst or a click costs a hiccup this long, not releaseMs.
   */
  soundReleaseMs: number;
  /** Upper bound of a pause without confirmation (then resume). */
  maxPauseMs: number;
  /** Live: gain while a candidate interruption is pending (the model decides whether to yield). */
  duckGain: number;
  /** Speech at least this long (while paused, not confirmed) counts as a backchannel, else a false alarm. */
  backchannelMinMs: number;
  /**
   * After the onset, a frame counts as speech only if the VAD probability is at least this too:
   * the front-end's nearEndLikely holds on for a hangover (~250 ms) after speech ends, which would
   * make every "mm-hmm" look long enough to confirm.
   */
  speechProbMin: number;
  /**
   * Also pause on the canceller's double-talk flag with a VAD probability ≥ speechProbMin (earlier
   * than the echo-aware decision, which waits for a higher probability while the agent plays).
   * The pause is reversible; confirmation still needs real speech.
   */
  onsetOnDoubleTalk: boolean;
  /**
   * Also pause when the VAD probability alone reaches this (0 = off). The front-end's decision waits
   * for a higher probability while the agent plays (echo-aware); a reversible pause can afford to
   * act a chunk earlier, since confirmation still needs real speech.
   */
  onsetProb: number;
}

export interface TurnPolicy {
  /** Silence after customer speech that ends the turn (Realtime: commit + response.create). */
  endOfTurnMs: number;
  /** Shorter customer speech is not a turn (a cough, a click). */
  minTurnMs: number;
  /** Agent audio kept written ahead in the device (small: pause/flush act on little). */
  deviceAheadMs: number;
}

export const DEFAULT_BARGE_IN: BargeInPolicy = {
  onsetFrames: 1,
  confirmMs: 500,
  releaseMs: 250,
  soundReleaseMs: 120,
  maxPauseMs: 1200,
  duckGain: 0.2,
  backchannelMinMs: 100,
  speechProbMin: 0.5,
  onsetOnDoubleTalk: false,
  onsetProb: 0,
};

export const DEFAULT_TURN: TurnPolicy = { endOfTurnMs: 500, minTurnMs: 150, deviceAheadMs: 40 };

/** The minimal per-frame signal the engine needs; src/frontend's FrontendFrame satisfies it. */
export interface NearEndSignal {
  /** The front-end's echo-aware "the customer is speaking now" (with hangover). */
  nearEndLikely: boolean;
  /**
   * The front-end's per-frame level onset (earlier than nearEndLikely, unconfirmed): pauses, never
   * stops. Absent = only nearEndLikely pauses.
   */
  onsetLikely?: boolean;
  /** VAD probability on the echo-cancelled signal, 0..1. */
  speechProb: number;
  /** The canceller's double-talk flag (near-end energy clearly above the echo estimate). */
  doubleTalk?: boolean;
}
