/**
 * RoomDevice: the AudioDevice of a simulated room. What write() queues is "played" by a virtual
 * loudspeaker; each frame, the played period (the reference) goes through the scenario's echo path
 * and is captured by a virtual microphone together with the near-end talkers and noise. The frame
 * pair's `ref` is exactly the DAC period during which `mic` was captured, as on real hardware.
 *
 * Two clocks:
 *  - unpaced (default): nothing runs on its own; step() / runFor(ms) advance the world as fast as
 *    the CPU allows — tests, corpora, benches;
 *  - paced: a timer delivers frames in real time. Each tick computes how many frames are due since
 *    open (from performance.now(), not from counting timer callbacks) and delivers all of them, so
 *    timer jitter never accumulates into drift. A stall longer than the capture buffer drops
 *    frames (counted as a capture xrun; the world keeps running through them, like a real room).
 *    `clockRate` < 1 slows that clock (a rig whose code under test cannot keep real time).
 *
 * loseDevice() / restoreDevice() simulate an unplugged USB device for tests of the layers above.
 */
import type {
  AudioDevice,
  AudioDeviceConfig,
  AudioDeviceEvents,
  AudioDeviceState,
  AudioStats,
  FramePair,
} from '../device.js';
import { PlaybackQueue } from './playback-queue.js';
import { type ResolvedScenario, type RoomScenario, resolveScenario } from './scenario.js';
import { RoomWorld } from './world.js';

export interface RoomDeviceOptions {
  /** Deliver frames in real time from a timer (default false: step()/runFor() drive it). */
  paced?: boolean;
  /** Playback queue capacity, seconds (default 60). */
  queueSeconds?: number;
  /**
   * Paced mode: frames that may pile up while JS is stalled before they are dropped (default 256,
   * 2.56 s — the same as the ALSA engine's native frame ring, so both backends tolerate the same
   * stalls).
   */
  captureBufferFrames?: number;
  /**
   * Paced mode: seconds of room time per second of wall clock (default 1, real time). Below 1 the
   * whole acoustic world runs slower — talkers, the loudspeaker, the frame clock alike — for a rig
   * whose code under test cannot run in real time on this machine (the test suite on arm64 under
   * qemu: the front-end alone takes longer than a frame there), so the room does not drop frames on
   * account of the emulator. A product never sets it.
   */
  clockRate?: number;
  /**
   * Where errors thrown by 'frame' handlers go in paced mode (default: rethrown from the timer).
   * In unpaced mode they propagate out of step().
   */
  onHandlerError?: (err: unknown) => void;
}

/** Handler lists are replaced, not mutated, on on()/off(): iterating one allocates nothing. */
type Handlers = { [E in keyof AudioDeviceEvents]: ReadonlyArray<AudioDeviceEvents[E]> };

/** Ground truth of the last frame delivered (arrays reused; copy what you keep). */
export interface RoomTruth {
  /** Echo at the mic (played signal through the echo path). */
  echo: Float32Array;
  /** Clean near-end talkers at the mic. */
  near: Float32Array;
  noise: Float32Array;
}

export class RoomDevice implements AudioDevice {
  readonly config: AudioDeviceConfig;
  private readonly spec: RoomScenario;
  private readonly opts: RoomDeviceOptions;
  private scenario?: ResolvedScenario;
  private world?: RoomWorld;
  private queue?: PlaybackQueue;
  private frame?: FramePair;
  private truthView?: RoomTruth;
  private state: AudioDeviceState = 'closed';
  private readonly handlers: Handlers = { frame: [], state: [], xrun: [] };
  private framesCaptured = 0;
  private nextIndex = 0;
  private xrunsCapture = 0;
  private reopens = 0;
  private timer?: NodeJS.Timeout;
  private clockStart = 0;
  private clockFrames = 0;
  private frameMs: number;
  /** Wall-clock ms per room frame in paced mode (frameMs / clockRate). */
  private readonly wallFrameMs: number;

  constructor(scenario: RoomScenario = {}, opts: RoomDeviceOptions = {}) {
    this.spec = scenario;
    this.opts = opts;
    const clockRate = opts.clockRate ?? 1;
    if (!(Number.isFinite(clockRate) && clockRate > 0 && clockRate <= 1000))
      throw new Error(`room device: clockRate must be a number in (0, 1000], got ${opts.clockRate}`);
    const rate = scenario.rate ?? 16000;
    this.frameMs = scenario.frameMs ?? 10;
    this.config = { rate, frameSamples: Math.round((rate * this.frameMs) / 1000) };
    this.wallFrameMs = this.frameMs / clockRate;
  }

  /** The resolved scenario (impulse response, talkers at the device rate); after open(). */
  get resolved(): ResolvedScenario | undefined {
    return this.scenario;
  }

  /** Ground truth of the last frame (echo/near/noise at the mic); after open(). */
  get truth(): RoomTruth {
    if (!this.truthView) throw new Error('room device: not opened');
    return this.truthView;
  }

  async open(): Promise<void> {
    if (this.state !== 'closed') throw new Error(`room device: open() while ${this.state}`);
    this.setState('opening');
    try {
      this.scenario = resolveScenario(this.spec);
    } catch (err) {
      this.setState('closed', String(err));
      throw err;
    }
    const F = this.scenario.frameSamples;
    this.world = new RoomWorld(this.scenario);
    this.queue = new PlaybackQueue(Math.round((this.opts.queueSeconds ?? 60) * this.scenario.rate));
    this.frame = { mic: new Float32Array(F), ref: new Float32Array(F), index: 0 };
    this.truthView = { echo: this.world.echo, near: this.world.near, noise: this.world.noise };
    this.framesCaptured = 0;
    this.nextIndex = 0;
    this.setState('running');
    if (this.opts.paced) this.startClock();
  }

  async close(): Promise<void> {
    this.stopClock();
    if (this.state !== 'closed') this.setState('closed');
  }

  on<E extends keyof AudioDeviceEvents>(event: E, handler: AudioDeviceEvents[E]): void {
    const list = this.handlers[event] as ReadonlyArray<AudioDeviceEvents[E]>;
    if (!list.includes(handler))
      (this.handlers[event] as ReadonlyArray<AudioDeviceEvents[E]>) = [...list, handler];
  }

  off<E extends keyof AudioDeviceEvents>(event: E, handler: AudioDeviceEvents[E]): void {
    const list = this.handlers[event] as ReadonlyArray<AudioDeviceEvents[E]>;
    (this.handlers[event] as ReadonlyArray<AudioDeviceEvents[E]>) = list.filter((h) => h !== handler);
  }

  write(samples: Float32Array): number {
    return this.queue ? this.queue.write(samples) : 0;
  }

  pause(): void {
    this.queue?.pause();
  }

  resume(): void {
    this.queue?.resume();
  }

  flush(): number {
    return this.queue ? this.queue.flush() : 0;
  }

  get playedSamples(): number {
    return this.queue?.played ?? 0;
  }

  stats(): AudioStats {
    const q = this.queue;
    return {
      state: this.state,
      framesCaptured: this.framesCaptured,
      playedSamples: q?.played ?? 0,
      writtenSamples: q?.written ?? 0,
      queuedSamples: q?.queued ?? 0,
      xrunsCapture: this.xrunsCapture,
      xrunsPlayback: 0,
      paused: q?.paused ?? false,
      reopens: this.reopens,
    };
  }

  /**
   * Advance the world by one frame and deliver it to 'frame' handlers. Returns the frame pair
   * (reused next time), or null while the device is not running.
   */
  step(): FramePair | null {
    if (this.state !== 'running') return null;
    this.simulate();
    const frame = this.frame as FramePair;
    this.framesCaptured++;
    const hs = this.handlers.frame;
    for (let i = 0; i < hs.length; i++) hs[i](frame);
    return frame;
  }

  /** Advance by ms of audio (whole frames, rounded up) as fast as possible. Returns frames run. */
  runFor(ms: number): number {
    const frames = Math.ceil(ms / this.frameMs - 1e-9);
    let n = 0;
    for (let i = 0; i < frames; i++) if (this.step()) n++;
    return n;
  }

  /** Simulate an unplugged device: frames stop, state 'lost'. */
  loseDevice(reason = 'simulated unplug'): void {
    if (this.state !== 'running') return;
    this.stopClock();
    this.setState('lost', reason);
  }

  /** The device is back: reopen (the room's echo memory is gone, the playback queue is kept). */
  restoreDevice(): void {
    if (this.state !== 'lost') return;
    this.setState('reopening');
    this.world?.resetEcho();
    this.reopens++;
    this.setState('running');
    if (this.opts.paced) this.startClock();
  }

  // ---- internals ----

  /** One DAC period out, one mic period in. */
  private simulate(): void {
    const frame = this.frame as FramePair;
    (this.queue as PlaybackQueue).pull(frame.ref);
    frame.index = this.nextIndex;
    (this.world as RoomWorld).process(frame.ref, this.nextIndex, frame.mic);
    this.nextIndex += frame.mic.length;
  }

  private setState(state: AudioDeviceState, reason?: string): void {
    this.state = state;
    for (const h of this.handlers.state) h(state, reason);
  }

  private startClock(): void {
    this.clockStart = performance.now();
    this.clockFrames = 0;
    // One interval at half a frame, not a setTimeout per frame: nothing is allocated per tick,
    // and since each tick delivers every frame due by the clock, interval jitter never drifts.
    this.timer = setInterval(() => this.tick(), this.wallFrameMs / 2);
  }

  private stopClock(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (this.state !== 'running') return;
    const due = Math.floor((performance.now() - this.clockStart) / this.wallFrameMs);
    let behind = due - this.clockFrames;
    const buffer = this.opts.captureBufferFrames ?? 256;
    if (behind > buffer) {
      // Overrun: the capture buffer filled up while JS was stalled. Keep the world's time
      // consistent (the room went on playing) but only deliver the last `buffer` frames.
      this.xrunsCapture++;
      for (const h of this.handlers.xrun) h('capture');
      // Simulate up to one more buffer of the lost time (the echo tail, the talkers move on);
      // anything longer (a suspended laptop) is skipped without simulating it.
      const simulated = Math.min(behind - buffer, buffer);
      for (let i = 0; i < simulated; i++) this.simulate();
      this.nextIndex += (behind - buffer - simulated) * this.config.frameSamples;
      this.clockFrames += behind - buffer;
      behind = buffer;
    }
    try {
      for (let i = 0; i < behind && this.state === 'running'; i++) {
        this.clockFrames++;
        this.step();
      }
    } catch (err) {
      if (this.opts.onHandlerError) this.opts.onHandlerError(err);
      else throw err;
    }
  }
}
