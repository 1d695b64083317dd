/**
 * The `audio` component: opens the configured AudioDevice (`audio.backend`: the room simulator or
 * ALSA), exposes it to the components above (`lookup<AudioComponent>('audio').device`), reports
 * its health and logs frame statistics every `audio.statsIntervalS`.
 *
 * With the room backend and `audio.room.demo` it also plays the bundled demo conversation: the
 * agent prompt is written to the loudspeaker at the start of every loop, the customer answers as
 * a near-end talker — so `voiceterm run` on a machine without a sound card shows live audio.
 *
 * The ALSA device is imported lazily: the room path must work where the native addon isn't built.
 */
import type { Config } from '../config/schema.js';
import type { Component, ComponentContext, ComponentHealth } from '../supervisor/component.js';
import type { AudioDevice, AudioDeviceState, FramePair } from './device.js';
import { demoConversation } from './room/demo.js';
import { RoomDevice } from './room/room-device.js';
import type { RoomScenario } from './room/scenario.js';

declare module '../supervisor/bus.js' {
  interface BusEvents {
    /** The audio device changed state (lost = unplugged / failed, running = capturing again). */
    'audio.device': { state: AudioDeviceState; reason?: string };
  }
}

type AudioConfig = Config['audio'];

/** Build the room scenario from `audio.room` (plus the demo's customer when enabled). */
export function roomScenarioFromConfig(
  audio: AudioConfig,
  demoCustomer?: RoomScenario['talkers'],
): RoomScenario {
  const r = audio.room;
  const talkers = [
    ...(demoCustomer ?? []),
    ...r.talkers.map((t) => ({ wav: t.wav, atMs: t.atMs, gainDb: t.gainDb })),
  ];
  return {
    rate: audio.capture.rate,
    seed: r.seed,
    echoPath: {
      rt60: r.rt60S,
      delayMs: r.delayMs,
      gainDb: r.echoGainDb,
      nonlinearity: r.softclipLevel === undefined ? 'none' : { type: 'softclip', level: r.softclipLevel },
    },
    talkers,
    // SNR needs near-end speech to refer to; without talkers there is nothing to be noisy against.
    noise:
      talkers.length > 0 && r.noise.type !== 'none'
        ? { type: r.noise.type, snrDb: r.noise.snrDb }
        : { type: 'none' },
    loopMs: r.loopMs,
  };
}

/** Running frame statistics between two log lines (plain numbers: no allocation per frame). */
class FrameStats {
  frames = 0;
  micEnergy = 0;
  refEnergy = 0;
  micPeak = 0;
  samples = 0;
  since = performance.now();

  add(f: FramePair): void {
    this.frames++;
    const n = f.mic.length;
    for (let i = 0; i < n; i++) {
      const m = f.mic[i];
      const r = f.ref[i];
      this.micEnergy += m * m;
      this.refEnergy += r * r;
      const a = m < 0 ? -m : m;
      if (a > this.micPeak) this.micPeak = a;
    }
    this.samples += n;
  }

  reset(): void {
    this.frames = 0;
    this.micEnergy = 0;
    this.refEnergy = 0;
    this.micPeak = 0;
    this.samples = 0;
    this.since = performance.now();
  }
}

const dbfs = (x: number) => (x > 0 ? Math.round(20 * Math.log10(x) * 10) / 10 : -120);

export class AudioComponent implements Component {
  readonly name = 'audio';
  private ctx?: ComponentContext;
  private dev?: AudioDevice;
  private backend = '';
  private deviceState: AudioDeviceState = 'closed';
  private lostReason?: string;
  private lostCount = 0;
  private readonly window = new FrameStats();
  private demoAgent?: Float32Array;
  private demoLoopSamples = 0;
  private nextAgentAt = 0;

  /** The open device, for the components above (front-end, duplex engine). */
  get device(): AudioDevice | undefined {
    return this.dev;
  }

  async start(ctx: ComponentContext): Promise<void> {
    this.ctx = ctx;
    const audio = ctx.config.audio;
    this.backend = audio.backend;
    this.lostCount = 0;
    this.lostReason = undefined;
    this.window.reset();
    const dev =
      audio.backend === 'room'
        ? this.createRoom(audio, ctx)
        : await openAlsaModule(audio, (err) => ctx.fail(err));
    dev.on('frame', this.onFrame);
    dev.on('state', this.onState);
    dev.on('xrun', this.onXrun);
    this.dev = dev;
    try {
      await dev.open();
    } catch (err) {
      // Leave nothing half-open behind: the supervisor retries start() with backoff.
      await this.stop().catch(() => {});
      throw err;
    }
    if (this.demoAgent) {
      dev.write(this.demoAgent);
      this.nextAgentAt = this.demoLoopSamples;
    }
    ctx.logger.info(
      {
        backend: audio.backend,
        rate: dev.config.rate,
        frameSamples: dev.config.frameSamples,
        demo: !!this.demoAgent,
      },
      'audio device open',
    );
    ctx.every('stats', audio.statsIntervalS * 1000, () => this.logStats());
  }

  async stop(): Promise<void> {
    const dev = this.dev;
    if (!dev) return;
    dev.off('frame', this.onFrame);
    dev.off('state', this.onState);
    dev.off('xrun', this.onXrun);
    await dev.close();
    this.dev = undefined;
    this.deviceState = 'closed';
  }

  health(): ComponentHealth {
    const s = this.dev?.stats();
    const healthy = this.deviceState === 'running';
    const what = this.backend === 'room' ? 'room sim' : 'alsa';
    return {
      healthy,
      summary: healthy
        ? `${what}, ${s?.framesCaptured ?? 0} frames`
        : `${what} ${this.deviceState}${this.lostReason ? `: ${this.lostReason}` : ''}`,
      details: {
        backend: this.backend,
        state: this.deviceState,
        deviceLost: this.deviceState === 'lost' || this.deviceState === 'reopening',
        lostCount: this.lostCount,
        lostReason: this.lostReason,
        frames: s?.framesCaptured ?? 0,
        playedSamples: s?.playedSamples ?? 0,
        queuedSamples: s?.queuedSamples ?? 0,
        xrunsCapture: s?.xrunsCapture ?? 0,
        xrunsPlayback: s?.xrunsPlayback ?? 0,
        reopens: s?.reopens ?? 0,
      },
    };
  }

  private createRoom(audio: AudioConfig, ctx: ComponentContext): RoomDevice {
    this.demoAgent = undefined;
    let customer: RoomScenario['talkers'];
    let loopMs = audio.room.loopMs;
    if (audio.room.demo) {
      const demo = demoConversation(audio.capture.rate);
      this.demoAgent = demo.agent;
      customer = [demo.customer];
      loopMs ??= demo.loopMs;
      this.demoLoopSamples = Math.round((loopMs * audio.capture.rate) / 1000);
    }
    const scenario = { ...roomScenarioFromConfig(audio, customer), loopMs };
    return new RoomDevice(scenario, { paced: true, onHandlerError: (err) => ctx.fail(err) });
  }

  private readonly onFrame = (f: FramePair): void => {
    this.window.add(f);
    // Demo: queue the next agent prompt so it starts exactly at the loop boundary.
    if (this.demoAgent && f.index + f.mic.length >= this.nextAgentAt) {
      this.dev?.write(this.demoAgent);
      this.nextAgentAt += this.demoLoopSamples;
    }
  };

  private readonly onState = (state: AudioDeviceState, reason?: string): void => {
    const ctx = this.ctx;
    const was = this.deviceState;
    this.deviceState = state;
    if (!ctx) return;
    ctx.bus.emit('audio.device', { state, reason });
    if (state === 'lost') {
      this.lostCount++;
      this.lostReason = reason;
      ctx.metrics.inc('audio.device_lost');
      ctx.logger.warn({ reason }, 'audio device lost');
    } else if (state === 'running' && (was === 'lost' || was === 'reopening')) {
      this.lostReason = undefined;
      ctx.metrics.inc('audio.device_reopened');
      ctx.logger.info('audio device running again');
    }
  };

  private readonly onXrun = (direction: 'capture' | 'playback'): void => {
    this.ctx?.metrics.inc(`audio.xruns_${direction}`);
  };

  private logStats(): void {
    const ctx = this.ctx;
    const dev = this.dev;
    if (!ctx || !dev) return;
    const w = this.window;
    const s = dev.stats();
    const elapsedS = Math.max(1e-3, (performance.now() - w.since) / 1000);
    const stats = {
      state: s.state,
      frames: s.framesCaptured,
      framesInWindow: w.frames,
      framesPerS: Math.round((w.frames / elapsedS) * 10) / 10,
      micRmsDbfs: dbfs(w.samples ? Math.sqrt(w.micEnergy / w.samples) : 0),
      micPeakDbfs: dbfs(w.micPeak),
      refRmsDbfs: dbfs(w.samples ? Math.sqrt(w.refEnergy / w.samples) : 0),
      playedSamples: s.playedSamples,
      queuedSamples: s.queuedSamples,
      xrunsCapture: s.xrunsCapture,
      xrunsPlayback: s.xrunsPlayback,
      reopens: s.reopens,
    };
    ctx.metrics.set('audio.frames', s.framesCaptured);
    ctx.metrics.set('audio.played_samples', s.playedSamples);
    ctx.metrics.set('audio.mic_rms_dbfs', stats.micRmsDbfs);
    ctx.logger.info(stats, 'frame statistics');
    w.reset();
  }
}

/**
 * The ALSA device (./alsa/, over a native addon) is imported only when configured, so the room
 * backend runs where the addon isn't built; a missing addon fails this component's start with a
 * clear error (the supervisor retries with backoff), never the process.
 */
async function openAlsaModule(
  audio: AudioConfig,
  onHandlerError: (err: unknown) => void,
): Promise<AudioDevice> {
  let mod: typeof import('./alsa/alsa-device.js');
  try {
    mod = await import('./alsa/alsa-device.js');
  } catch (err) {
    throw new Error(
      `audio.backend alsa: cannot load the ALSA device (${(err as Error).message}); is the native addon built?`,
    );
  }
  return new mod.AlsaDevice({ ...mod.alsaOptionsFromConfig(audio), onHandlerError });
}
