/**
 * The per-frame front-end: echo canceller (ONNX) → Silero VAD (ONNX) on the cleaned signal → the
 * echo-aware barge-in decision. Synchronous, one call per FramePair, nothing allocated per frame.
 *
 * Latency: the canceller's suppressor adds one 10 ms hop (STFT overlap): frame n's `clean` holds the
 * cleaned samples of frame n-1. Silero decides every 512 samples (32 ms).
 */
import type { FrontendConfig } from '../config/sections/frontend.js';
import { EchoCanceller } from './aec.js';
import {
  BargeInDecision,
  type DecisionConfig,
  type DecisionInput,
  defaultDecisionConfig,
  NoiseFloor,
} from './decision.js';
import { defaultModelsDir } from './models.js';
import { NearEndDetector } from './ned.js';
import {
  defaultOnsetConfig,
  emptyOnsetInput,
  type OnsetConfig,
  OnsetDetector,
  type OnsetInput,
} from './onset.js';
import type { FrontendFrame, FrontendProcessor, FrontendStats } from './types.js';
import { SileroVad, VAD_CHUNK } from './vad.js';

export interface FrontendOptions {
  modelsDir?: string;
  decision?: Partial<DecisionConfig>;
  onset?: Partial<OnsetConfig>;
  /** Reference level (mean square per sample) above which the far end counts as playing. */
  farEndThreshold?: number;
  /** How long the far end counts as active after the reference goes quiet (the room's echo tail), ms. */
  farEndHangMs?: number;
  /** Per-hop decay of the held echo estimate (0.9 ≈ -4.6 dB per 10 ms... per hop of 10 ms). */
  echoHoldPerHop?: number;
  /**
   * Silero's recurrent state is renewed (SileroVad.renew) every this many chunks (128 ≈ 4 s) while
   * nobody speaks. Streaming on for long, the state drifts and the model goes deaf to onsets: on the
   * canceller's output it scored customers 0.00–0.06 whom it scores 0.8–0.98 with a state 0.5 s old
   * (the known drift of snakers4/silero-vad issue 725).
   */
  vadRenewChunks?: number;
}

/** Pipeline options from the `frontend` config section (for the component that builds the pipeline). */
export function frontendOptionsFromConfig(cfg: FrontendConfig): FrontendOptions {
  return { modelsDir: cfg.modelsDir || undefined, decision: { ...cfg.decision } };
}

const RATE = 16000;
const TIMING_RING = 1024;
/** Hops (of 160 samples) whose levels go with a peek: 480 samples, close to its 512-sample window. */
const PEEK_HOPS = 3;
/** The pipeline peeks after every frame that did not end a chunk once this much of the new chunk is
 * in: the window's 64 context samples must lie in the previous chunk, and a peek 2–4 ms after a
 * chunk would see nearly the same audio. */
const PEEK_MIN_FILL = 96;
/** Chunks a renewed Silero state listens before it takes over (0.5 s: a state that old heard the
 * corpus's customers as well as a fresh model on the clean signal). */
export const VAD_RENEW_WARM_CHUNKS = 16;
/** Default of FrontendOptions.vadRenewChunks (≈ 4 s). */
export const VAD_RENEW_CHUNKS = 128;

/** "Is the agent playing?" per hop: the reference carries signal, or did within the echo's tail. */
export class FarEndActivity {
  /** The reference itself carried signal in the last hop. */
  refActive = false;
  private hang = 0;
  private readonly hangHops: number;
  /** `threshold`: mean square per sample of the reference; `hangMs`: the room's echo tail. */
  constructor(
    private readonly threshold = 1e-6,
    hangMs = 300,
  ) {
    this.hangHops = Math.round(hangMs / 10);
  }
  update(ref: Float32Array): boolean {
    let e = 0;
    for (let i = 0; i < ref.length; i++) e += ref[i] * ref[i];
    this.refActive = e / ref.length > this.threshold;
    if (this.refActive) this.hang = this.hangHops;
    else if (this.hang > 0) this.hang--;
    return this.hang > 0;
  }
  reset(): void {
    this.hang = 0;
    this.refActive = false;
  }
}

export class FrontendPipeline implements FrontendProcessor {
  readonly rate = RATE;
  readonly frameSamples: number;
  private readonly aec: EchoCanceller;
  private readonly vad: SileroVad;
  private readonly ned: NearEndDetector;
  readonly decision: BargeInDecision;
  readonly onset: OnsetDetector;
  private readonly onsetIn: OnsetInput = { ...emptyOnsetInput };
  private readonly vadBuf = new Float32Array(VAD_CHUNK);
  private vadFill = 0;
  /** The last complete chunk, for the peek window (its tail + the chunk being filled). */
  private readonly prevChunk = new Float32Array(VAD_CHUNK);
  /** Chunks since Silero's state was last renewed (see vadRenewChunks). */
  private vadAge = 0;
  private readonly vadRenewChunks: number;
  /** The last PEEK_HOPS hops' energies (output, held echo, residual estimate, double-talk samples):
   * the peek's levels, over about the same span as its window. */
  private readonly hopOutE = new Float64Array(PEEK_HOPS);
  private readonly hopEchoE = new Float64Array(PEEK_HOPS);
  private readonly hopResE = new Float64Array(PEEK_HOPS);
  private readonly hopDtN = new Float64Array(PEEK_HOPS);
  private readonly hopNear = new Float64Array(PEEK_HOPS);
  private hopN = 0;
  private readonly peekIn: DecisionInput = {
    speechProb: 0,
    farEndActive: false,
    outDb: 0,
    echoDb: 0,
    noiseDb: 0,
    erleDb: 0,
    residualDb: 0,
    doubleTalk: 0,
    nearEnd: 0,
  };
  private readonly frame: FrontendFrame;
  private readonly farEnd: FarEndActivity;
  private readonly noise = new NoiseFloor();
  /** Echo estimate energy per hop, held over the room's decay (so pauses between words don't drop it). */
  private echoHeld = 0;
  private chunkOutE = 0;
  private chunkEchoE = 0;
  /** Residual-echo estimate energy over the chunk, before the suppressor's over-estimation. */
  private chunkResE = 0;
  /** The suppressor's echo over-estimation (far end alone / double talk), from aec.json: the
   * decision's margin is against the residual estimate itself, whatever the suppressor's tuning. */
  private readonly overSingle: number;
  private readonly overDouble: number;
  private chunkN = 0;
  /** Highest near-end detector probability of the chunk's hops. */
  private chunkNearMax = 0;
  /** Samples of the chunk whose hop had the canceller's double-talk flag up. */
  private chunkDtN = 0;
  private readonly echoHold: number;
  private micE = 1e-10;
  private outE = 1e-10;
  private frames = 0;
  private readonly partE: Float32Array;
  private readonly times = new Float64Array(TIMING_RING);

  constructor(opts: FrontendOptions = {}) {
    const dir = opts.modelsDir ?? defaultModelsDir();
    this.aec = new EchoCanceller(dir);
    try {
      this.vad = new SileroVad(dir);
    } catch (err) {
      this.aec.dispose(); // a failed start is retried: don't leak a native session each time
      throw err;
    }
    try {
      this.ned = new NearEndDetector(dir);
    } catch (err) {
      this.aec.dispose();
      this.vad.dispose();
      throw err;
    }
    this.decision = new BargeInDecision({ ...defaultDecisionConfig, ...opts.decision });
    this.onset = new OnsetDetector({ ...defaultOnsetConfig, ...opts.onset });
    this.frameSamples = this.aec.hop;
    this.farEnd = new FarEndActivity(opts.farEndThreshold, opts.farEndHangMs);
    this.echoHold = opts.echoHoldPerHop ?? 0.9;
    this.vadRenewChunks = opts.vadRenewChunks ?? VAD_RENEW_CHUNKS;
    this.partE = new Float32Array(this.aec.meta.partitions);
    this.overSingle = this.aec.meta.config.over_st ?? 1;
    this.overDouble = this.aec.meta.config.over_dt ?? 1;
    this.frame = {
      index: 0,
      clean: new Float32Array(this.frameSamples),
      speechProb: 0,
      nearEndLikely: false,
      onsetLikely: false,
      speechStart: false,
      speechEnd: false,
      erleDb: 0,
      residualEchoDb: -120,
      nearEndProb: 0,
      doubleTalk: false,
      farEndActive: false,
      echoDelayMs: undefined,
    };
  }

  reset(): void {
    this.aec.reset();
    this.vad.reset();
    this.ned.reset();
    this.decision.reset();
    this.onset.reset();
    this.vadFill = 0;
    this.prevChunk.fill(0);
    this.vadAge = 0;
    this.hopOutE.fill(0);
    this.hopEchoE.fill(0);
    this.hopResE.fill(0);
    this.hopDtN.fill(0);
    this.hopN = 0;
    this.farEnd.reset();
    this.noise.reset();
    this.echoHeld = this.chunkOutE = this.chunkEchoE = this.chunkResE = this.chunkN = this.chunkDtN = 0;
    this.chunkNearMax = 0;
    this.hopNear.fill(0);
    this.micE = this.outE = 1e-10;
    this.frame.echoDelayMs = undefined;
    this.frame.nearEndProb = 0;
  }

  process(mic: Float32Array, ref: Float32Array, index: number): FrontendFrame {
    if (mic.length !== this.frameSamples || ref.length !== this.frameSamples) {
      throw new RangeError(
        `front-end frames are ${this.frameSamples} samples at 16 kHz (got mic ${mic.length}, ref ${ref.length})`,
      );
    }
    const t0 = performance.now();
    const f = this.frame;
    f.index = index;
    f.speechStart = false;
    f.speechEnd = false;

    f.farEndActive = this.farEnd.update(ref);
    const refActive = this.farEnd.refActive;

    // the detector's answer for the previous hop: the suppressor keeps what it calls the customer
    const out = this.aec.process(mic, ref, f.nearEndProb);
    f.clean.set(out);
    const info = this.aec.info;
    f.doubleTalk = info.doubleTalk;
    this.echoHeld = Math.max(info.echoEstimateEnergy, this.echoHold * this.echoHeld);
    const residualMs = info.residualEchoPsd / (this.frameSamples * 2 * this.frameSamples);
    f.residualEchoDb = 10 * Math.log10(residualMs + 1e-12);

    // ERLE of the whole canceller (mic vs output), smoothed over ~1 s of far-end-only audio.
    let oE = 0;
    for (let i = 0; i < out.length; i++) oE += out[i] * out[i];
    const resE = (residualMs * out.length) / (info.doubleTalk ? this.overDouble : this.overSingle);
    this.chunkOutE += oE;
    this.chunkEchoE += this.echoHeld;
    this.chunkResE += resE;
    if (info.doubleTalk) this.chunkDtN += out.length;
    this.chunkN += out.length;
    const h = this.hopN++ % PEEK_HOPS;
    this.hopOutE[h] = oE;
    this.hopEchoE[h] = this.echoHeld;
    this.hopResE[h] = resE;
    this.hopDtN[h] = info.doubleTalk ? out.length : 0;
    // The near-end detector hears every hop (its history), answers only while the far end plays.
    this.ned.push(this.aec.feat);
    f.nearEndProb = f.farEndActive ? this.ned.run() : 0;
    this.hopNear[h] = f.nearEndProb;
    this.chunkNearMax = Math.max(this.chunkNearMax, f.nearEndProb);
    if (this.decision.nearEndHop(f.nearEndProb, f.farEndActive) === 'speech_start') {
      f.speechStart = true;
    }
    if (f.farEndActive && !info.doubleTalk) {
      this.micE = 0.98 * this.micE + 0.02 * info.micEnergy;
      this.outE = 0.98 * this.outE + 0.02 * oE;
      f.erleDb = 10 * Math.log10((this.micE + 1e-10) / (this.outE + 1e-10));
    }

    // VAD on the cleaned signal, 512-sample chunks.
    let taken = 0;
    let chunked = false;
    while (taken < out.length) {
      const n = Math.min(out.length - taken, VAD_CHUNK - this.vadFill);
      // a plain copy: subarray() would allocate a view every frame
      for (let i = 0; i < n; i++) this.vadBuf[this.vadFill + i] = out[taken + i];
      this.vadFill += n;
      taken += n;
      if (this.vadFill === VAD_CHUNK) {
        this.vadFill = 0;
        chunked = true;
        this.prevChunk.set(this.vadBuf);
        if (++this.vadAge >= this.vadRenewChunks && !this.decision.active) {
          this.vad.renew(VAD_RENEW_WARM_CHUNKS);
          this.vadAge = 0;
        }
        f.speechProb = this.vad.process(this.vadBuf);
        const outDb = 10 * Math.log10(this.chunkOutE / this.chunkN + 1e-12);
        const echoDb = 10 * Math.log10(this.chunkEchoE / this.chunkN + 1e-12);
        const residualDb = 10 * Math.log10(this.chunkResE / this.chunkN + 1e-12);
        // background: the output's own floor, or the canceller's noise estimate (which stays right
        // while echo covers the background and the output floor is the suppressor's)
        const noiseDb = Math.max(this.noise.update(outDb), info.noiseDb);
        const doubleTalk = this.chunkN > 0 ? this.chunkDtN / this.chunkN : 0;
        const nearEnd = this.chunkNearMax;
        this.chunkNearMax = 0;
        this.chunkOutE = this.chunkEchoE = this.chunkResE = this.chunkN = this.chunkDtN = 0;
        const ev = this.decision.update({
          speechProb: f.speechProb,
          farEndActive: f.farEndActive,
          outDb,
          echoDb,
          noiseDb,
          erleDb: f.erleDb,
          residualDb,
          doubleTalk,
          nearEnd,
        });
        if (ev === 'speech_start') f.speechStart = true;
        else if (ev === 'speech_end') f.speechEnd = true;
      }
    }
    if (!chunked && this.vadFill >= PEEK_MIN_FILL && this.peekStarts(f.farEndActive, info.noiseDb)) {
      f.speechStart = true;
    }
    f.nearEndLikely = this.decision.active;
    // Per-frame level onset (onset.ts): earlier than the chunked decision, for a reversible pause.
    const o = this.onsetIn;
    o.outDb = 10 * Math.log10(oE / out.length + 1e-12);
    o.echoDb = 10 * Math.log10(this.echoHeld / out.length + 1e-12);
    o.noiseDb = Math.max(this.noise.db, info.noiseDb);
    o.erleDb = f.erleDb;
    o.micDb = 10 * Math.log10(info.micEnergy / out.length + 1e-12);
    o.errorDb = 10 * Math.log10(info.errorEnergy / out.length + 1e-12);
    o.doubleTalk = info.doubleTalk;
    o.refActive = refActive;
    o.farEndActive = f.farEndActive;
    o.speaking = f.nearEndLikely;
    f.onsetLikely = this.onset.update(o);

    if (++this.frames % 50 === 0) this.updateDelay();
    this.times[this.frames % TIMING_RING] = performance.now() - t0;
    return f;
  }

  /**
   * Between two chunks, while nobody is speaking: if the last ~30 ms already have the levels of a
   * start, Silero looks at the last 512 samples now instead of at the next chunk's end (10–30 ms
   * later) — the customer's onset is usually what tips a chunk, so a start comes that much sooner.
   * The Silero run is spent only when the levels could start speech, so peeks cost little.
   */
  private peekStarts(farEndActive: boolean, aecNoiseDb: number): boolean {
    const n = Math.min(this.hopN, PEEK_HOPS) * this.frameSamples;
    if (n === 0 || this.decision.active) return false; // speaking already: nothing to start
    let outE = 0;
    let echoE = 0;
    let resE = 0;
    let dtN = 0;
    let near = 0;
    for (let i = 0; i < PEEK_HOPS; i++) {
      near = Math.max(near, this.hopNear[i]);
      outE += this.hopOutE[i];
      echoE += this.hopEchoE[i];
      resE += this.hopResE[i];
      dtN += this.hopDtN[i];
    }
    const x = this.peekIn;
    x.farEndActive = farEndActive;
    x.outDb = 10 * Math.log10(outE / n + 1e-12);
    x.echoDb = 10 * Math.log10(echoE / n + 1e-12);
    x.residualDb = 10 * Math.log10(resE / n + 1e-12);
    x.noiseDb = Math.max(this.noise.db, aecNoiseDb);
    x.erleDb = this.frame.erleDb;
    x.doubleTalk = dtN / n;
    x.nearEnd = near;
    x.speechProb = 1;
    if (!this.decision.couldStartAtOnce(x)) return false;
    x.speechProb = this.vad.peek(this.prevChunk, this.vadBuf, this.vadFill);
    return this.decision.peek(x) === 'speech_start';
  }

  /** The echo path's main peak = the partition holding most filter energy (10 ms resolution). */
  private updateDelay(): void {
    const e = this.aec.filterEnergyByPartition(this.partE);
    let best = 0;
    let total = 0;
    for (let p = 0; p < e.length; p++) {
      total += e[p];
      if (e[p] > e[best]) best = p;
    }
    // "Converged" enough to trust: the peak partition holds a clear share of the energy.
    this.frame.echoDelayMs = total > 0 && e[best] > (3 * total) / e.length ? best * 10 + 5 : undefined;
  }

  stats(): FrontendStats {
    const n = Math.min(this.frames, TIMING_RING);
    const t = Array.from(this.times.subarray(0, n)).sort((a, b) => a - b);
    return {
      frames: this.frames,
      erleDb: this.frame.erleDb,
      echoDelayMs: this.frame.echoDelayMs,
      procMsP50: n ? t[Math.floor(n * 0.5)] : 0,
      procMsP95: n ? t[Math.min(n - 1, Math.floor(n * 0.95))] : 0,
    };
  }

  dispose(): void {
    this.aec.dispose();
    this.vad.dispose();
    this.ned.dispose();
  }
}
