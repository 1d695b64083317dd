/**
 * AlsaDevice: the AudioDevice of a real sound card, over the alsa_pcm addon (native/). The native
 * I/O thread does all timing-critical work; this class drains its rings when woken and turns what
 * it finds into 'frame', 'state' and 'xrun' events. See README.md for how positions are computed.
 */
import { constants as osConstants } from 'node:os';
import type { Config } from '../../config/schema.js';
import type {
  AudioDevice,
  AudioDeviceConfig,
  AudioDeviceEvents,
  AudioDeviceState,
  AudioStats,
  FramePair,
} from '../device.js';
import {
  alsaAddon,
  type EngineOptions,
  type EngineStats,
  type NativeEngine,
  type PcmFormat,
} from './native.js';

export interface AlsaDeviceOptions {
  capture: { device: string; channels: number; format: PcmFormat; micChannel: number };
  playback: { device: string; channels: number; format: PcmFormat };
  /** Device rate, both directions; frames and write() use it too. */
  rate: number;
  /** ALSA period in frames (10 ms at 16 kHz = 160). */
  periodFrames: number;
  bufferPeriods: number;
  /** Samples per frame pair; default 10 ms. */
  frameSamples?: number;
  /** Playback occupancy the engine keeps in the ALSA buffer (bounds flush latency); default 1.5 periods. */
  fillFrames?: number;
  /** Reopen backoff after the device is lost. */
  reopenMinMs?: number;
  reopenMaxMs?: number;
  /** Capture silent for this long = device lost (a stalled USB card). */
  stallMs?: number;
  queueSeconds?: number;
  /** A frame/state handler threw: the error goes here (default: console.error), never up the stack. */
  onHandlerError?: (err: unknown) => void;
}

/** AlsaDevice options from the validated `audio` config section. */
export function alsaOptionsFromConfig(audio: Config['audio']): AlsaDeviceOptions {
  if (audio.capture.rate !== audio.playback.rate) {
    throw new Error(
      `audio.capture.rate (${audio.capture.rate}) and audio.playback.rate (${audio.playback.rate}) must match: the ALSA engine runs both directions on one clock`,
    );
  }
  return {
    capture: { ...audio.capture },
    playback: { ...audio.playback },
    rate: audio.capture.rate,
    periodFrames: audio.periodFrames,
    bufferPeriods: audio.bufferPeriods,
  };
}

const STATES: AudioDeviceState[] = ['closed', 'opening', 'running', 'lost', 'reopening'];
const EVENT_STATE = 0;
const REASONS: Record<number, string> = {
  [osConstants.errno.ENODATA]: 'capture stream ended',
  [osConstants.errno.ETIMEDOUT]: 'capture stalled (no data)',
  [osConstants.errno.ENODEV]: 'device removed',
};

function reasonOf(errno: number): string | undefined {
  if (errno === 0) return undefined;
  const code = -errno;
  const name = Object.entries(osConstants.errno).find(([, v]) => v === code)?.[0] ?? `errno ${code}`;
  return REASONS[code] ? `${REASONS[code]} (${name})` : name;
}

type Handlers = { [E in keyof AudioDeviceEvents]: Set<AudioDeviceEvents[E]> };

export class AlsaDevice implements AudioDevice {
  readonly config: AudioDeviceConfig;
  private readonly opts: AlsaDeviceOptions;
  private engine?: NativeEngine;
  private readonly handlers: Handlers = { frame: new Set(), state: new Set(), xrun: new Set() };
  private readonly frame: FramePair;
  private readonly meta = new Float64Array(2);
  private readonly event = new Int32Array(3);
  private state: AudioDeviceState = 'closed';
  private framesCaptured = 0;
  private lastPlayed = 0;
  /** Engine counters as they were at close(), so stats() still tells what happened. */
  private closedStats?: EngineStats;
  /** CLOCK_MONOTONIC ms at which the native thread read the last delivered frame (for latency benches). */
  lastFrameCapturedMs = 0;

  constructor(opts: AlsaDeviceOptions) {
    this.opts = opts;
    const frameSamples = opts.frameSamples ?? Math.round(opts.rate / 100);
    this.config = { rate: opts.rate, frameSamples };
    this.frame = { mic: new Float32Array(frameSamples), ref: new Float32Array(frameSamples), index: 0 };
  }

  async open(): Promise<void> {
    if (this.engine) throw new Error(`alsa device: open() while ${this.state}`);
    const o = this.opts;
    const options: EngineOptions = {
      captureDevice: o.capture.device,
      playbackDevice: o.playback.device,
      captureFormat: o.capture.format,
      playbackFormat: o.playback.format,
      captureChannels: o.capture.channels,
      playbackChannels: o.playback.channels,
      micChannel: o.capture.micChannel,
      rate: o.rate,
      periodFrames: o.periodFrames,
      periods: o.bufferPeriods,
      frameSamples: this.config.frameSamples,
      ...(o.fillFrames !== undefined && { fillFrames: o.fillFrames }),
      ...(o.reopenMinMs !== undefined && { reopenMinMs: o.reopenMinMs }),
      ...(o.reopenMaxMs !== undefined && { reopenMaxMs: o.reopenMaxMs }),
      ...(o.stallMs !== undefined && { stallMs: o.stallMs }),
      ...(o.queueSeconds !== undefined && { queueSeconds: o.queueSeconds }),
    };
    const engine = new (alsaAddon().AlsaEngine)(options, () => this.drain());
    this.setState('opening');
    try {
      engine.start();
    } catch (err) {
      this.setState('closed', (err as Error).message);
      throw new Error(`ALSA ${(err as Error).message}`);
    }
    this.engine = engine;
    this.closedStats = undefined;
    this.framesCaptured = 0;
    this.lastPlayed = 0;
  }

  async close(): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    engine.stop();
    this.drain();
    this.lastPlayed = Math.max(this.lastPlayed, engine.played());
    this.closedStats = engine.stats();
    this.engine = undefined;
    this.setState('closed');
  }

  on<E extends keyof AudioDeviceEvents>(event: E, handler: AudioDeviceEvents[E]): void {
    (this.handlers[event] as Set<AudioDeviceEvents[E]>).add(handler);
  }

  off<E extends keyof AudioDeviceEvents>(event: E, handler: AudioDeviceEvents[E]): void {
    (this.handlers[event] as Set<AudioDeviceEvents[E]>).delete(handler);
  }

  write(samples: Float32Array): number {
    return this.engine ? this.engine.write(samples) : 0;
  }

  pause(): void {
    this.engine?.pause();
  }

  resume(): void {
    this.engine?.resume();
  }

  flush(): number {
    return this.engine ? this.engine.flush() : 0;
  }

  get playedSamples(): number {
    // The native value interpolates between I/O cycles; never let a reader see it step back.
    if (this.engine) this.lastPlayed = Math.max(this.lastPlayed, this.engine.played());
    return this.lastPlayed;
  }

  /** Engine internals for health reports and benches (period granted, link, ref offset, …). */
  engineStats(): EngineStats | undefined {
    return this.engine?.stats() ?? this.closedStats;
  }

  /** Latencies (ms) from write() to the samples entering ALSA, measured since the last call. */
  takeWriteLatencies(out: Float64Array): number {
    return this.engine ? this.engine.readLatencies(out) : 0;
  }

  stats(): AudioStats {
    const s = this.engine?.stats() ?? this.closedStats;
    const played = this.playedSamples;
    return {
      state: this.state,
      framesCaptured: this.framesCaptured,
      playedSamples: played,
      writtenSamples: s?.written ?? 0,
      queuedSamples: s ? Math.max(0, s.written - s.flushed - played) : 0,
      xrunsCapture: s?.xrunsCapture ?? 0,
      xrunsPlayback: s?.xrunsPlayback ?? 0,
      paused: s?.paused ?? false,
      reopens: s?.reopens ?? 0,
    };
  }

  /** Runs on the JS thread when the native side has frames or events: events first, then frames. */
  private drain(): void {
    const engine = this.engine;
    if (!engine) return;
    while (engine.readEvent(this.event)) {
      const [kind, value, errno] = this.event;
      if (kind === EVENT_STATE) this.setState(STATES[value] ?? 'lost', reasonOf(errno));
      else this.emit('xrun', value === 0 ? 'capture' : 'playback');
    }
    const f = this.frame;
    while (engine.readFrame(f.mic, f.ref, this.meta)) {
      f.index = this.meta[0];
      this.lastFrameCapturedMs = this.meta[1];
      this.framesCaptured++;
      for (const h of this.handlers.frame) this.callFrame(h, f);
    }
  }

  private setState(state: AudioDeviceState, reason?: string): void {
    if (state === this.state) return;
    this.state = state;
    for (const h of this.handlers.state) this.call(h, state, reason);
  }

  private emit(event: 'xrun', dir: 'capture' | 'playback'): void {
    for (const h of this.handlers[event]) this.call(h, dir);
  }

  /** The per-frame path: a plain call, not call()'s rest arguments (an array per frame and handler). */
  private callFrame(h: AudioDeviceEvents['frame'], f: FramePair): void {
    try {
      h(f);
    } catch (err) {
      this.handlerFailed(err);
    }
  }

  private handlerFailed(err: unknown): void {
    (this.opts.onHandlerError ?? ((e) => console.error('alsa device: handler failed:', e)))(err);
  }

  // biome-ignore lint/suspicious/noExplicitAny: handlers of the three event kinds
  private call(h: (...args: any[]) => void, ...args: unknown[]): void {
    try {
      h(...args);
    } catch (err) {
      this.handlerFailed(err);
    }
  }
}
