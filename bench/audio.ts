/**
 * `npm run bench -- audio [--quick]`: the ALSA engine on a paced device (ALSA `pulse` PCM into a
 * private PulseAudio null sink, capture from its monitor) while the JS thread allocates garbage and
 * blocks now and then. Full mode runs 10 minutes (the target's duration); --quick about 25 s.
 *
 * Each cycle: a click train (played position vs arrival at the sink), a long tone flushed at a
 * random moment (flush → silence at the sink), and short bursts written into an empty queue
 * (write() → samples entering ALSA). capture_to_js is measured on every frame: from the moment
 * the native thread read the frame's period from ALSA (the period itself is not counted: targets.md
 * asks for the latency added beyond it) to the JS frame handler running. js_loop_delay is the
 * main thread's own event-loop delay in the same run (how late a 1 ms timer fires): no handler on
 * this thread can run earlier than that, whatever the engine does.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AlsaDevice } from '../src/audio/alsa/alsa-device.js';
import { LoopbackProbe, percentile } from '../src/audio/alsa/loopback-probe.js';
import { alsaAddon } from '../src/audio/alsa/native.js';
import { startPulse } from '../src/audio/alsa/pulse-server.js';
import { measureResampler } from '../src/audio/resample/measure.js';

const RATE = 16000;
const PERIOD = 160;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const round = (x: number, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`audio bench: timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Garbage on the JS thread: many short-lived objects (minor GCs) and a retained churn (major GCs);
 * none of it may reach the device. */
function startGcStress(longTasks: boolean): () => void {
  let keep: unknown[] = [];
  const alloc = setInterval(() => {
    const junk = Array.from({ length: 5000 }, (_, i) => ({ i, s: `x${i}`, a: [i, i + 1] }));
    keep.push(junk);
    if (keep.length > 200) keep = keep.slice(100);
  }, 2);
  // --long-tasks: also block the JS thread for 30 ms every second.
  const block = longTasks
    ? setInterval(() => {
        const end = performance.now() + 30;
        while (performance.now() < end) {
          /* busy */
        }
      }, 1000)
    : undefined;
  return () => {
    clearInterval(alloc);
    if (block) clearInterval(block);
    keep = [];
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  const durationMs = quick ? 25_000 : 600_000;
  const now = alsaAddon().nowMs;
  const pulse = await startPulse({ rate: RATE });
  const conf = join(pulse.dir, 'asoundrc');
  writeFileSync(conf, pulse.pcms({ playback: 'bench_spk', capture: 'bench_mon' }));
  process.env.ALSA_CONFIG_PATH = `/usr/share/alsa/alsa.conf:${conf}`;
  const dev = new AlsaDevice({
    capture: { device: 'bench_mon', channels: 1, format: 'S16_LE', micChannel: 0 },
    playback: { device: 'bench_spk', channels: 1, format: 'S16_LE' },
    rate: RATE,
    periodFrames: PERIOD,
    bufferPeriods: Number(args.find((a) => a.startsWith('--periods='))?.slice(10) ?? 4),
  });
  const probe = new LoopbackProbe(dev);
  const captureToJs: number[] = [];
  dev.on('frame', () => captureToJs.push(now() - dev.lastFrameCapturedMs));
  dev.on('state', (st, why) => console.error(`audio bench: device ${st}${why ? ` (${why})` : ''}`));
  dev.on('xrun', (dir) =>
    console.error(`audio bench: ${dir} xrun; engine ${JSON.stringify(dev.engineStats())}`),
  );
  const jsToAlsa: number[] = [];
  const latBuf = new Float64Array(1024);
  const positionErrors: number[] = [];
  const flushToSilence: number[] = [];
  let stopStress = () => {};
  try {
    await dev.open();
    await until(
      () => (dev.engineStats()?.captureDelay ?? 1e9) < 640 && dev.stats().framesCaptured > 50,
      'live capture',
      20_000,
    );
    captureToJs.length = 0;
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const x0 = dev.stats();
    const xrunsAtStart = x0.xrunsCapture + x0.xrunsPlayback;
    if (!args.includes('--no-stress')) stopStress = startGcStress(args.includes('--long-tasks'));
    const queuePos = () => {
      const s = dev.engineStats();
      return s ? s.written - s.flushed : 0;
    };
    const t0 = Date.now();
    let cycles = 0;
    let stalls = 0;
    while (Date.now() - t0 < durationMs) {
      try {
        await cycle();
      } catch (err) {
        // A cycle that never completes is a result, not a crash: report it and go on.
        stalls++;
        console.error(`audio bench: ${(err as Error).message}; engine ${JSON.stringify(dev.engineStats())}`);
        dev.flush();
        await sleep(500);
      }
      cycles++;
      if (cycles % 10 === 0)
        console.error(`audio bench: ${cycles} cycles, ${Math.round((Date.now() - t0) / 1000)} s`);
    }
    async function cycle(): Promise<void> {
      // 1. Click train: 10 clicks, 100 ms apart.
      probe.reset();
      const clicks: number[] = [];
      const signal = new Float32Array(RATE);
      const base = queuePos();
      for (let at = 800; at + 8 < signal.length; at += 1600) {
        signal.fill(0.5, at, at + 8);
        clicks.push(base + at);
      }
      dev.write(signal);
      await until(() => dev.playedSamples >= base + signal.length, 'clicks played');
      await sleep(100);
      positionErrors.push(...probe.clickErrorsMs(clicks).map(Math.abs));
      // 2. A tone, flushed at a random point.
      const tone = new Float32Array(RATE).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / RATE));
      const toneBase = queuePos();
      dev.write(tone);
      await until(() => dev.playedSamples > toneBase + 1600, 'tone playing');
      await sleep(Math.random() * 300);
      const flushedAt = now();
      dev.flush();
      await sleep(150);
      flushToSilence.push(Math.max(0, probe.captureTimeOf(probe.lastLoudMic) - flushedAt));
      // 3. Bursts into an empty queue.
      for (let i = 0; i < 10; i++) {
        dev.write(new Float32Array(320).fill(0.01));
        await sleep(40);
      }
      const got = dev.takeWriteLatencies(latBuf);
      for (let i = 0; i < got; i++) jsToAlsa.push(latBuf[i]);
    }
    stopStress();
    loopDelay.disable();
    const s = dev.stats();
    const result = {
      period_ms: (PERIOD / RATE) * 1000,
      flush_to_silence_ms_p50: round(percentile(flushToSilence, 50)),
      flush_to_silence_ms_p95: round(percentile(flushToSilence, 95)),
      position_error_ms_p95: round(percentile(positionErrors, 95)),
      xruns_10min_gc_stress: s.xrunsCapture + s.xrunsPlayback - xrunsAtStart,
      xruns_capture: s.xrunsCapture - x0.xrunsCapture,
      xruns_playback: s.xrunsPlayback - x0.xrunsPlayback,
      capture_to_js_ms_p99: round(percentile(captureToJs, 99)),
      js_to_alsa_ms_p99: round(percentile(jsToAlsa, 99)),
      resampler_stopband_db: null as number | null,
      resampler_x_realtime: null as number | null,
      device:
        'alsa pulse PCM → PulseAudio null sink (monitor captured), 16 kHz mono S16_LE, 4 × 10 ms periods',
      mode: quick ? 'quick' : 'full',
      duration_s: Math.round((Date.now() - t0) / 1000),
      cycles,
      stalled_cycles: stalls,
      samples: {
        clicks: positionErrors.length,
        flushes: flushToSilence.length,
        frames: captureToJs.length,
        writes: jsToAlsa.length,
      },
      position_error_ms_p50: round(percentile(positionErrors, 50)),
      capture_to_js_ms_p50: round(percentile(captureToJs, 50)),
      js_to_alsa_ms_p50: round(percentile(jsToAlsa, 50)),
      js_loop_delay_ms_p50: round(loopDelay.percentile(50) / 1e6),
      js_loop_delay_ms_p99: round(loopDelay.percentile(99) / 1e6),
      frame_drops: dev.engineStats()?.frameDrops ?? 0,
      reopens: s.reopens,
      realtime_thread: dev.engineStats()?.realtime ?? false,
    };
    await dev.close();
    await pulse.stop();
    // After the device is closed: the measurement blocks the JS thread for seconds.
    const resampler = measureResampler({ quick });
    result.resampler_stopband_db = resampler.stopbandDb;
    result.resampler_x_realtime = resampler.xRealtime;
    return result;
  } finally {
    stopStress();
    await dev.close();
    await pulse.stop();
  }
}
