/**
 * The AudioDevice boundary: everything above the audio layer (front-end, duplex engine, offline
 * flow) talks to this interface. Two implementations: `alsa/` (a sound card, through our N-API
 * addon) and `room/` (the acoustic simulator used by tests, benches and the embedded default).
 *
 * The contract that makes echo cancellation and truncation exact:
 *  - Capture is delivered as **frame pairs**: `frameSamples` mic samples together with the
 *    reference samples that were at the DAC at the moment those mic samples were captured. The AEC
 *    never has to guess the bulk delay of our own buffering.
 *  - `playedSamples` counts samples of queued audio that actually left through the DAC (written
 *    minus what is still in the device's buffer), so a barge-in knows exactly what was heard.
 */

export type AudioDeviceState = 'closed' | 'opening' | 'running' | 'lost' | 'reopening';

export interface AudioDeviceConfig {
  /** Sample rate of frames and playback audio, Hz. */
  rate: number;
  /** Samples per frame pair (10 ms: rate / 100). */
  frameSamples: number;
}

/**
 * One 10 ms frame pair. The arrays are owned by the device and reused for the next frame (no
 * allocation on the hot path): a consumer that keeps samples must copy them.
 */
export interface FramePair {
  /** Microphone samples, float in [-1, 1). */
  mic: Float32Array;
  /** What was at the DAC when those mic samples were captured (0 while nothing plays). */
  ref: Float32Array;
  /** Capture sample index of mic[0] since open(); frames are contiguous unless an xrun drops some. */
  index: number;
}

export interface AudioStats {
  state: AudioDeviceState;
  /** Capture frames delivered to JS since open. */
  framesCaptured: number;
  /** Samples of queued audio that left through the DAC since open (not counting padding silence). */
  playedSamples: number;
  /** Samples accepted by write() since open. */
  writtenSamples: number;
  /** Samples accepted but not yet played (still queued or in the device buffer). */
  queuedSamples: number;
  xrunsCapture: number;
  xrunsPlayback: number;
  paused: boolean;
  /** Times the device was lost and reopened. */
  reopens: number;
}

export interface AudioDeviceEvents {
  frame: (frame: FramePair) => void;
  state: (state: AudioDeviceState, reason?: string) => void;
  xrun: (direction: 'capture' | 'playback') => void;
}

export interface AudioDevice {
  readonly config: AudioDeviceConfig;
  open(): Promise<void>;
  close(): Promise<void>;
  on<E extends keyof AudioDeviceEvents>(event: E, handler: AudioDeviceEvents[E]): void;
  off<E extends keyof AudioDeviceEvents>(event: E, handler: AudioDeviceEvents[E]): void;
  /** Queue samples (float [-1,1) at config.rate) for playback; returns samples accepted. */
  write(samples: Float32Array): number;
  /** Stop taking from the queue (fade out within a few ms, no click); position is held, nothing lost. */
  pause(): void;
  /** Continue exactly where pause() stopped. */
  resume(): void;
  /** Drop everything queued; silence at the loudspeaker within one period. Returns samples dropped. */
  flush(): number;
  /** Samples of queued audio that actually left through the DAC since open(). */
  readonly playedSamples: number;
  stats(): AudioStats;
}
