/**
 * Measures an AlsaDevice whose capture hears its own playback (a PulseAudio null sink's monitor in
 * tests and benches; a loopback cable on a board): when clicks written to the queue actually arrive
 * at the mic versus when playedSamples said they left the DAC, whether the reference signal lines up
 * with the mic, and how long sound continues after flush(). Everything is on CLOCK_MONOTONIC ms,
 * the clock the engine stamps frames with.
 */
import type { FramePair } from '../device.js';
import type { AlsaDevice } from './alsa-device.js';
import { alsaAddon } from './native.js';

export interface ProbeOptions {
  /** |sample| above this is "sound". */
  threshold?: number;
  /** Onsets closer than this (samples) to the previous loud sample belong to the same event. */
  quietSamples?: number;
}

export class LoopbackProbe {
  /** Capture indices where the mic went from quiet to loud. */
  readonly micOnsets: number[] = [];
  /** Capture indices where the reference (what the engine says was at the DAC) went loud. */
  readonly refOnsets: number[] = [];
  /** Capture index of the last loud mic sample. */
  lastLoudMic = -1;
  private lastLoudRef = -1;
  /** (CLOCK_MONOTONIC ms, playedSamples) sampled on every frame. */
  private readonly playedAt: Array<[number, number]> = [];
  /** Newest frame: capture index just past its last sample, and when the engine read it. */
  private headIndex = 0;
  private headMs = 0;
  private readonly thr: number;
  private readonly quiet: number;
  private readonly rate: number;
  private readonly now = alsaAddon().nowMs;
  private readonly onFrame = (f: FramePair) => this.frame(f);

  constructor(
    private readonly dev: AlsaDevice,
    opts: ProbeOptions = {},
  ) {
    this.thr = opts.threshold ?? 0.1;
    this.rate = dev.config.rate;
    this.quiet = opts.quietSamples ?? Math.round(this.rate / 50);
    dev.on('frame', this.onFrame);
  }

  detach(): void {
    this.dev.off('frame', this.onFrame);
  }

  /** Forget what was seen so far (e.g. the start-up transient). */
  reset(): void {
    this.micOnsets.length = 0;
    this.refOnsets.length = 0;
    this.playedAt.length = 0;
  }

  private frame(f: FramePair): void {
    for (let i = 0; i < f.mic.length; i++) {
      const idx = f.index + i;
      if (Math.abs(f.mic[i]) > this.thr) {
        if (idx - this.lastLoudMic > this.quiet) this.micOnsets.push(idx);
        this.lastLoudMic = idx;
      }
      if (Math.abs(f.ref[i]) > this.thr) {
        if (idx - this.lastLoudRef > this.quiet) this.refOnsets.push(idx);
        this.lastLoudRef = idx;
      }
    }
    this.headIndex = f.index + f.mic.length;
    this.headMs = this.dev.lastFrameCapturedMs;
    this.playedAt.push([this.now(), this.dev.playedSamples]);
  }

  /** When capture sample `index` was taken at the ADC (ms), from the newest frame and the capture delay. */
  captureTimeOf(index: number): number {
    const delay = this.dev.engineStats()?.captureDelay ?? 0;
    return this.headMs + ((index - this.headIndex - delay) / this.rate) * 1000;
  }

  /** When playedSamples first reached `queuePos` (ms), interpolated between frame samples; NaN if not yet. */
  playedTimeOf(queuePos: number): number {
    const p = this.playedAt;
    for (let i = 1; i < p.length; i++) {
      if (p[i][1] >= queuePos) {
        const [t0, v0] = p[i - 1];
        const [t1, v1] = p[i];
        return v1 === v0 ? t1 : t0 + ((queuePos - v0) / (v1 - v0)) * (t1 - t0);
      }
    }
    return Number.NaN;
  }

  /**
   * For clicks written at queue positions `clicks` (in samples since open), pair each with the mic
   * onset that followed and return arrival minus prediction, in ms.
   */
  clickErrorsMs(clicks: number[]): number[] {
    const out: number[] = [];
    for (const q of clicks) {
      const predicted = this.playedTimeOf(q + 1);
      if (Number.isNaN(predicted)) continue;
      // The onset nearest to the prediction (clicks are far apart compared with the error).
      let best = Number.NaN;
      for (const m of this.micOnsets) {
        const t = this.captureTimeOf(m);
        if (Number.isNaN(best) || Math.abs(t - predicted) < Math.abs(best)) best = t - predicted;
      }
      if (!Number.isNaN(best)) out.push(best);
    }
    return out;
  }

  /** Mic onset minus reference onset, in samples, for each mic onset with a reference onset nearby. */
  refAlignment(maxSamples: number): number[] {
    const out: number[] = [];
    for (const m of this.micOnsets) {
      let best = Number.POSITIVE_INFINITY;
      for (const r of this.refOnsets) if (Math.abs(m - r) < Math.abs(best)) best = m - r;
      if (Math.abs(best) <= maxSamples) out.push(best);
    }
    return out;
  }
}

/** The p-th percentile (0..100) of xs, nearest rank; NaN for none. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
