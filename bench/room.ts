/**
 * `npm run bench -- room [--quick]`: the room simulator and the resampler — how much faster than
 * real time corpora can be rendered, whether the frame path allocates (minor GCs while running),
 * and how exactly the paced clock delivers frames.
 *
 * World: RT60 0.6 s synthetic room (9600 taps at 16 kHz), 40 ms bulk delay, soft-clipping
 * loudspeaker, the demo conversation (agent on the loudspeaker, customer at the mic), babble noise
 * at 10 dB SNR — the heaviest configuration the front-end corpus uses.
 */
import { loadavg } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { measureResampler } from '../src/audio/resample/measure.js';
import { PartitionedConvolver } from '../src/audio/room/convolver.js';
import { demoConversation } from '../src/audio/room/demo.js';
import { syntheticRir } from '../src/audio/room/rir.js';
import { RoomDevice } from '../src/audio/room/room-device.js';
import type { RoomScenario } from '../src/audio/room/scenario.js';

const RATE = 16000;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

function heavyScenario(): { scenario: RoomScenario; agent: Float32Array } {
  const demo = demoConversation(RATE);
  return {
    agent: demo.agent,
    scenario: {
      rate: RATE,
      seed: 11,
      echoPath: { rt60: 0.6, delayMs: 40, nonlinearity: { type: 'softclip', level: 0.5 } },
      talkers: [demo.customer],
      noise: { type: 'babble', snrDb: 10 },
      loopMs: demo.loopMs,
    },
  };
}

/** Counts minor/major GCs while fn runs. */
async function countGcs(fn: () => void): Promise<number> {
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  fn();
  await new Promise((r) => setTimeout(r, 50)); // GC entries are delivered asynchronously
  obs.disconnect();
  return gcs;
}

async function unpaced(seconds: number) {
  const { scenario, agent } = heavyScenario();
  const dev = new RoomDevice(scenario, { queueSeconds: 30 });
  await dev.open();
  const F = dev.config.frameSamples;
  const loop = Math.round(((scenario.loopMs as number) * RATE) / 1000);
  let next = 0;
  const step = () => {
    const f = dev.step();
    if (f && f.index + F >= next) {
      dev.write(agent);
      next += loop;
    }
  };
  for (let i = 0; i < 300; i++) step(); // warm-up (JIT)
  const frames = seconds * 100;
  const us: number[] = new Array(frames);
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) {
    const a = performance.now();
    step();
    us[i] = (performance.now() - a) * 1000;
  }
  const wallS = (performance.now() - t0) / 1000;
  // A second pass without timing calls: GCs here can only come from the frame path itself.
  const gcs = await countGcs(() => {
    for (let i = 0; i < frames; i++) step();
  });
  await dev.close();
  return {
    room_x_realtime: round(seconds / wallS, 1),
    room_frame_us_p50: round(quantile(us, 0.5), 1),
    room_frame_us_p95: round(quantile(us, 0.95), 1),
    room_frame_us_p99: round(quantile(us, 0.99), 1),
    room_gcs_per_minute_of_audio: round((gcs / seconds) * 60, 2),
  };
}

function convolverSpeed(seconds: number) {
  const conv = new PartitionedConvolver(syntheticRir({ rate: RATE, rt60: 0.6, seed: 1 }));
  const x = new Float32Array(160).map((_, i) => Math.sin(i));
  const y = new Float32Array(160);
  for (let i = 0; i < 300; i++) conv.process(x, y);
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < (seconds * 100) / 5; i++) conv.process(x, y);
    runs.push(seconds / 5 / ((performance.now() - t0) / 1000));
  }
  return { convolver_taps: conv.length, convolver_x_realtime: round(quantile(runs, 0.5), 1) };
}

async function paced(seconds: number) {
  const { scenario } = heavyScenario();
  const dev = new RoomDevice(scenario, { paced: true });
  const F = dev.config.frameSamples;
  const lateness: number[] = [];
  let t0 = 0;
  dev.on('frame', (f) => {
    // Frame k is complete (due) at t0 + (k+1)·10 ms; how late did it reach JS?
    lateness.push(performance.now() - (t0 + (f.index / F + 1) * 10));
  });
  // The clock starts at the end of open() (resolving the scenario takes a while): t0 after it.
  await dev.open();
  t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsed = performance.now() - t0;
  const s = dev.stats();
  await dev.close();
  return {
    paced_frames: s.framesCaptured,
    paced_drift_frames: s.framesCaptured - Math.floor(elapsed / 10),
    paced_lateness_ms_p50: round(quantile(lateness, 0.5)),
    paced_lateness_ms_p95: round(quantile(lateness, 0.95)),
    paced_xruns: s.xrunsCapture,
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  const load1Before = loadavg()[0];
  console.error(`room bench (${quick ? 'quick' : 'full'}): unpaced world…`);
  const world = await unpaced(quick ? 20 : 120);
  console.error('convolver…');
  const conv = convolverSpeed(quick ? 20 : 60);
  console.error('paced clock…');
  const clock = await paced(quick ? 3 : 30);
  console.error('resampler…');
  const rs = measureResampler({ quick });
  return {
    mode: quick ? 'quick' : 'full',
    // Shared machines: the load average says how much the timings below were squeezed.
    load1_before: round(load1Before),
    load1_after: round(loadavg()[0]),
    ...world,
    ...conv,
    ...clock,
    resampler_stopband_db: rs.stopbandDb,
    resampler_x_realtime: rs.xRealtime,
    resampler_pairs: rs.pairs,
  };
}
