/**
 * The front-end's output, per 10 ms frame pair: what the duplex engine (src/conversation/) consumes.
 *
 * The pipeline (AEC → residual suppressor → Silero VAD → barge-in decision) runs synchronously per
 * FramePair from src/audio/device.ts. Like FramePair, a FrontendFrame and its `clean` array are owned
 * by the pipeline and reused for the next frame: copy what you keep.
 */

export interface FrontendFrame {
  /** Capture sample index of clean[0] (FramePair.index of the frame that produced it). */
  index: number;
  /** Echo-cancelled, noise-suppressed mic signal, same length as the input frame (float [-1,1)). */
  clean: Float32Array;
  /**
   * Silero VAD probability on the cleaned signal, 0..1. Silero runs on 32 ms chunks, so this is the
   * latest chunk's value (updated every 3rd or 4th 10 ms frame).
   */
  speechProb: number;
  /**
   * Echo-aware decision "the customer is speaking now" (hysteresis + the canceller's own estimates):
   * this, not speechProb alone, is what a barge-in should act on.
   */
  nearEndLikely: boolean;
  /**
   * Per 10 ms frame, from levels alone (onset.ts): the customer has likely just started to speak.
   * Earlier than nearEndLikely (no 32 ms VAD chunks) but unconfirmed: good for a reversible pause,
   * not for a stop.
   */
  onsetLikely: boolean;
  /** True on the one frame where nearEndLikely went false → true (a speech_start event). */
  speechStart: boolean;
  /** True on the one frame where nearEndLikely went true → false (a speech_end event). */
  speechEnd: boolean;
  /** Smoothed echo return loss enhancement of the linear filter, dB (0 while the far end is silent). */
  erleDb: number;
  /** Residual echo level after the linear filter, dBFS (what the suppressor still has to remove). */
  residualEchoDb: number;
  /**
   * The near-end detector's probability that the customer is talking over the agent (ned.ts), per
   * 10 ms frame; 0 while the far end is silent (then Silero alone is the judge).
   */
  nearEndProb: number;
  /** The canceller's double-talk flag: near-end energy clearly above the echo estimate while far end plays. */
  doubleTalk: boolean;
  /** True while the reference (far end) carries signal. */
  farEndActive: boolean;
  /** Estimated acoustic echo delay (peak of the adaptive filter), ms; undefined until converged. */
  echoDelayMs: number | undefined;
}

/** Periodic statistics, for health reports, metrics and `voiceterm frontend --events`. */
export interface FrontendStats {
  frames: number;
  erleDb: number;
  echoDelayMs: number | undefined;
  /** Median / p95 processing time per 10 ms frame, ms (AEC + VAD). */
  procMsP50: number;
  procMsP95: number;
}

/** The per-frame processor interface the duplex engine depends on. */
export interface FrontendProcessor {
  readonly frameSamples: number;
  readonly rate: number;
  /** Process one frame pair (mic + reference at the DAC). Synchronous; no allocation. */
  process(mic: Float32Array, ref: Float32Array, index: number): FrontendFrame;
  /** Forget adaptation state (after an xrun gap or a device reopen). */
  reset(): void;
  stats(): FrontendStats;
}

/** Bus events the front-end publishes (augmenting BusEvents is done in ./events.ts). */
export interface FrontendSpeechEvent {
  /** Capture sample index where the decision was made. */
  index: number;
  /** Seconds since the front-end started. */
  t: number;
}
