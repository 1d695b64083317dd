/**
 * "Onset likely": a cheap per-10 ms-frame signal that the customer has just started to speak, from
 * levels alone. It exists so the duplex engine can PAUSE (reversibly) one period after a customer's
 * first syllable, while the confirmed speech start (decision.ts: Silero on 32 ms chunks + echo-aware
 * gates) arrives 60–150 ms later and decides whether to STOP. Pure state machine, no allocation.
 *
 * Why levels: Silero needs two or three 32 ms chunks of speech before its probability rises, but the
 * canceller's output jumps 20–40 dB within one frame of a customer's onset — the echo it removed is
 * 30+ dB under what it leaves of a customer. A frame counts when its output level is
 *  - `noiseMarginDb` above the background (the higher of the output's noise floor and the
 *    canceller's noise estimate, as in decision.ts),
 *  - `backgroundMarginDb` above a high percentile (`backgroundPercentile`) of the output's own frame
 *    levels over the last `backgroundFrames` frames when nobody was speaking: what residual echo
 *    bursts and fluctuating noise (babble) reach in this room. The customer's own frames are kept
 *    out of it (not added while the decision says "speaking");
 *  - while the far end plays: within `echoMarginDb` of the canceller's held echo estimate, and only
 *    once the canceller has converged (before, its output *is* mostly echo and levels prove nothing).
 *    "Converged" is judged on the LINEAR filter (mic vs its error in dB, averaged over frames where
 *    the reference plays and there is no double talk, ≥ `convergedLinearErleDb`), not only on the whole canceller's ERLE: in the first second of a
 *    session the suppressor already hides most of the echo (ERLE reads 20–30 dB) while the linear
 *    filter removes only ~6 dB, and what leaks through then comes in bursts 8–14 dB under the echo.
 *    Until then (the first 1–3 s of a session) only output at least as loud as the echo estimate
 *    (`coldEchoMarginDb`) and far above the recent background (`coldBackgroundMarginDb`) counts:
 *    a customer at or above the echo's level, which the decision's own warm-up is slowest on. In
 *    the very first `coldStartFrames` frames of far-end audio not even that: the echo estimate
 *    is still near zero, so any leak looks "louder than the echo".
 * A cough or a door slam passes too: that is fine, the engine only pauses on it and resumes exactly
 * where it paused when no speech follows.
 */

export interface OnsetConfig {
  /** Output level above the background (noise floor) a frame needs, dB. */
  noiseMarginDb: number;
  /** Output level above the recent non-speech output's high percentile, dB. */
  backgroundMarginDb: number;
  /** The percentile (0..1) of recent non-speech frame levels that stands for "what echo and noise reach". */
  backgroundPercentile: number;
  /** How many recent non-speech frames that percentile is over (200 = 2 s). */
  backgroundFrames: number;
  /** While the far end plays: output level relative to the canceller's held echo estimate, dB. */
  echoMarginDb: number;
  /** The canceller's ERLE estimate below which its echo estimate is not trusted (no onset while far end plays)... */
  convergedErleDb: number;
  /** ...and the linear filter's own ERLE (mic vs its error) below which the same holds. */
  convergedLinearErleDb: number;
  /** Not converged yet: output relative to the echo estimate a frame needs, dB... */
  coldEchoMarginDb: number;
  /** ...and output above the recent non-speech output's percentile, dB... */
  coldBackgroundMarginDb: number;
  /** ...and only after this many frames with the reference playing since reset. */
  coldStartFrames: number;
  /** Consecutive qualifying frames. */
  frames: number;
}

export const defaultOnsetConfig: OnsetConfig = {
  noiseMarginDb: 10,
  backgroundMarginDb: 15,
  backgroundPercentile: 0.9,
  backgroundFrames: 200,
  echoMarginDb: -15,
  convergedErleDb: 12,
  convergedLinearErleDb: 10,
  coldEchoMarginDb: 0,
  // 15, like the converged path: with 25, a customer talking over the first reply of a session at
  // the echo's level waited for the decision (222 ms in the bargein bench) when the leak of that
  // first second had lifted the background; the echo-level condition is what keeps leaks out.
  coldBackgroundMarginDb: 15,
  coldStartFrames: 20,
  frames: 1,
};

export interface OnsetInput {
  /** Output (echo-cancelled) level of this frame, dB (10·log10 of mean square). */
  outDb: number;
  /** The canceller's echo estimate for this frame, held over the echo's decay, dB. */
  echoDb: number;
  /** Background noise level of the output, dB. */
  noiseDb: number;
  /** The canceller's ERLE estimate, dB. */
  erleDb: number;
  /** Mic level and the linear filter's error (before the suppressor) level of this frame, dB. */
  micDb: number;
  errorDb: number;
  /** The canceller's double-talk flag (the linear ERLE is not updated then). */
  doubleTalk: boolean;
  /** The reference carries signal in this very frame (farEndActive includes the echo tail's hang). */
  refActive: boolean;
  farEndActive: boolean;
  /** The confirmed decision says the customer is speaking: this frame is not background. */
  speaking: boolean;
}

/** A zeroed input (for callers that preallocate theirs). */
export const emptyOnsetInput: Readonly<OnsetInput> = {
  outDb: -120,
  echoDb: -120,
  noiseDb: -120,
  erleDb: 0,
  micDb: -120,
  errorDb: -120,
  doubleTalk: false,
  refActive: false,
  farEndActive: false,
  speaking: false,
};

/** Levels are binned at 1 dB over [MIN_DB, MIN_DB + BINS) for the running percentile. */
const MIN_DB = -140;
const BINS = 160;
/** Fewer background frames than this: the percentile term is not used yet. */
const MIN_BACKGROUND = 20;

/** Running percentile of the last N values, as a 1 dB histogram (O(bins) per frame, no sort, no allocation). */
export class RunningLevelPercentile {
  private readonly ring: Int16Array;
  private readonly hist = new Int32Array(BINS);
  private n = 0;
  private head = 0;
  constructor(readonly size: number) {
    this.ring = new Int16Array(size);
  }
  get count(): number {
    return this.n;
  }
  push(db: number): void {
    const bin = Math.max(0, Math.min(BINS - 1, Math.floor(db - MIN_DB)));
    if (this.n === this.size) this.hist[this.ring[this.head]]--;
    else this.n++;
    this.ring[this.head] = bin;
    this.hist[bin]++;
    this.head = this.head + 1 === this.size ? 0 : this.head + 1;
  }
  /** The level (dB, bin centre) at percentile p (0..1); -Infinity while empty. */
  at(p: number): number {
    if (this.n === 0) return Number.NEGATIVE_INFINITY;
    const rank = Math.floor(p * (this.n - 1));
    let seen = 0;
    for (let b = 0; b < BINS; b++) {
      seen += this.hist[b];
      if (seen > rank) return MIN_DB + b + 0.5;
    }
    return MIN_DB + BINS - 0.5;
  }
  reset(): void {
    this.n = 0;
    this.head = 0;
    this.hist.fill(0);
  }
}

export class OnsetDetector {
  /** The latest frame's verdict. */
  likely = false;
  private run = 0;
  private readonly background: RunningLevelPercentile;
  /**
   * The linear filter's ERLE, dB: mic − error per frame, averaged in dB (one loud frame of a
   * customer the double-talk flag missed moves it little; an energy average it would wreck).
   */
  private linErle = 0;
  /** Frames with the reference playing since reset (capped). */
  private farFrames = 0;

  constructor(readonly config: OnsetConfig = defaultOnsetConfig) {
    this.background = new RunningLevelPercentile(config.backgroundFrames);
  }

  reset(): void {
    this.likely = false;
    this.run = 0;
    this.background.reset();
    this.linErle = 0;
    this.farFrames = 0;
  }

  /** The linear filter's ERLE, dB, averaged over ~0.5 s of frames with the far end alone (0 before any). */
  linearErleDb(): number {
    return this.linErle;
  }

  /** The background level the margin is taken from (dB), or -Infinity while too little is known. */
  backgroundDb(): number {
    return this.background.count >= MIN_BACKGROUND
      ? this.background.at(this.config.backgroundPercentile)
      : Number.NEGATIVE_INFINITY;
  }

  /** Whether one frame's levels look like a customer's (see the file comment). */
  qualifies(x: OnsetInput): boolean {
    const c = this.config;
    if (x.outDb - x.noiseDb < c.noiseMarginDb) return false;
    if (x.outDb - this.backgroundDb() < c.backgroundMarginDb) return false;
    if (!x.farEndActive) return true;
    if (x.erleDb < c.convergedErleDb || this.linearErleDb() < c.convergedLinearErleDb)
      return (
        this.farFrames >= c.coldStartFrames &&
        x.outDb - x.echoDb >= c.coldEchoMarginDb &&
        x.outDb - this.backgroundDb() >= c.coldBackgroundMarginDb
      );
    return x.outDb - x.echoDb >= c.echoMarginDb;
  }

  /** Feed one frame; returns whether a customer onset is likely now. */
  update(x: OnsetInput): boolean {
    if (x.refActive && this.farFrames < 1_000_000) this.farFrames++;
    if (x.refActive && !x.doubleTalk) {
      const d = Math.max(-10, Math.min(60, x.micDb - x.errorDb));
      this.linErle = 0.98 * this.linErle + 0.02 * d;
    }
    this.run = this.qualifies(x) ? this.run + 1 : 0;
    this.likely = this.run >= this.config.frames;
    // Judged against the past only; the customer's own frames never raise the background.
    if (!x.speaking) this.background.push(x.outDb);
    return this.likely;
  }
}
