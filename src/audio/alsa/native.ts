/** Types of the alsa_pcm addon (native/addon.cc) and its loader. */
import { loadNative } from '../../supervisor/notify/native.js';

export type PcmFormat = 'S16_LE' | 'S32_LE' | 'FLOAT_LE';

/** Options of the native engine; every count is in frames at `rate`. */
export interface EngineOptions {
  captureDevice: string;
  playbackDevice: string;
  captureFormat: PcmFormat;
  playbackFormat: PcmFormat;
  captureChannels: number;
  playbackChannels: number;
  micChannel: number;
  rate: number;
  periodFrames: number;
  periods: number;
  frameSamples: number;
  fillFrames?: number;
  fadeSamples?: number;
  queueSeconds?: number;
  frameSlots?: number;
  reopenMinMs?: number;
  reopenMaxMs?: number;
  stallMs?: number;
}

export interface EngineStats {
  state: 'closed' | 'opening' | 'running' | 'lost' | 'reopening';
  written: number;
  taken: number;
  flushed: number;
  played: number;
  xrunsCapture: number;
  xrunsPlayback: number;
  reopens: number;
  frameDrops: number;
  captureIndex: number;
  periodFrames: number;
  bufferFrames: number;
  fillFrames: number;
  linked: boolean;
  systemClock: boolean;
  paused: boolean;
  /** The native I/O thread runs SCHED_FIFO (needs CAP_SYS_NICE or an rtprio limit). */
  realtime: boolean;
  refOffset: number;
  /** Last snd_pcm_delay() of each direction, frames. */
  captureDelay: number;
  playbackDelay: number;
}

export interface NativeEngine {
  start(): void;
  stop(): void;
  write(samples: Float32Array): number;
  flush(): number;
  pause(): void;
  resume(): void;
  played(): number;
  readFrame(mic: Float32Array, ref: Float32Array, meta: Float64Array): boolean;
  readEvent(out: Int32Array): boolean;
  readLatencies(out: Float64Array): number;
  stats(): EngineStats;
}

export interface PcmCaps {
  ok: boolean;
  error?: string;
  rates?: number[];
  channelsMin?: number;
  channelsMax?: number;
  formats?: string[];
}

export interface PcmInfo {
  name: string;
  description: string;
  capture: PcmCaps;
  playback: PcmCaps;
}

export interface AlsaAddon {
  AlsaEngine: new (options: EngineOptions, onWake: () => void) => NativeEngine;
  listPcms(extraNames?: string[]): PcmInfo[];
  /** CLOCK_MONOTONIC in ms: the clock of frame capture times (same as process.hrtime). */
  nowMs(): number;
}

let addon: AlsaAddon | undefined;

export function alsaAddon(): AlsaAddon {
  addon ??= loadNative<AlsaAddon>('alsa_pcm');
  return addon;
}
