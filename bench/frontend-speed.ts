/**
 * `npm run bench -- frontend-speed [--quick] [--reps 5] [--models DIR]`
 *
 * How fast the front-end runs on one core: the echo canceller alone, Silero alone, the near-end
 * detector alone and the whole pipeline (AEC + VAD + near-end detector + decision), over one corpus case (seed 1, case 0), each repeated `reps` times.
 * CPU time comes from process.cpuUsage (this machine is shared, so wall time mostly measures other
 * people's load); wall time per hop is reported too (median, p95). The figure the issue's
 * "≥ 30× real time" is about is pipeline.x_realtime: audio seconds per CPU second.
 */
import { loadavg } from 'node:os';
import { EchoCanceller } from '../src/frontend/aec.js';
import { defaultModelsDir } from '../src/frontend/models.js';
import { NearEndDetector } from '../src/frontend/ned.js';
import { FrontendPipeline } from '../src/frontend/pipeline.js';
import { SileroVad, VAD_CHUNK } from '../src/frontend/vad.js';
import { arg } from './args.js';
import { makeCase } from './corpus/cases.js';
import { median, quantile } from './corpus/metrics.js';

const HOP = 160;
const RATE = 16000;

interface Timing {
  /** CPU seconds of the process per rep. */
  cpuS: number[];
  /** Wall ms per step (hop or chunk), all reps. */
  stepMs: number[];
}

/** Runs `step(i)` for i = 0..n-1, `reps` times; CPU per rep and wall per step. */
function time(reps: number, n: number, before: () => void, step: (i: number) => void): Timing {
  const t: Timing = { cpuS: [], stepMs: [] };
  for (let r = 0; r < reps; r++) {
    before();
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const w0 = performance.now();
      step(i);
      t.stepMs.push(performance.now() - w0);
    }
    const c = process.cpuUsage(c0);
    t.cpuS.push((c.user + c.system) / 1e6);
  }
  return t;
}

function summary(t: Timing, audioS: number, steps: number) {
  const cpu = median(t.cpuS);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    x_realtime: Math.round((10 * audioS) / cpu) / 10,
    x_realtime_best: Math.round((10 * audioS) / Math.min(...t.cpuS)) / 10,
    cpu_ms_per_step: r3((1000 * cpu) / steps),
    wall_ms_p50: r3(median(t.stepMs)),
    wall_ms_p95: r3(quantile(t.stepMs, 0.95)),
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  const reps = Number(arg(args, '--reps') ?? (quick ? 1 : 5));
  const dir = arg(args, '--models') ?? defaultModelsDir();
  const c = makeCase(1, 0);
  const hops = quick ? Math.min(1000, Math.floor(c.mic.length / HOP)) : Math.floor(c.mic.length / HOP);
  const audioS = (hops * HOP) / RATE;
  const mic = (i: number) => c.mic.subarray(i * HOP, (i + 1) * HOP);
  const ref = (i: number) => c.ref.subarray(i * HOP, (i + 1) * HOP);

  const aec = new EchoCanceller(dir);
  const aecT = time(
    reps,
    hops,
    () => aec.reset(),
    (i) => aec.process(mic(i), ref(i)),
  );
  // the canceller's figures of this case, for the detector's own timing below (untimed)
  aec.reset();
  const feats: Float32Array[] = [];
  for (let i = 0; i < hops; i++) {
    aec.process(mic(i), ref(i));
    feats.push(aec.feat.slice());
  }
  aec.dispose();

  const vad = new SileroVad(dir);
  const chunks = Math.floor((hops * HOP) / VAD_CHUNK);
  const vadT = time(
    reps,
    chunks,
    () => vad.reset(),
    (i) => vad.process(c.mic.subarray(i * VAD_CHUNK, (i + 1) * VAD_CHUNK)),
  );
  vad.dispose();

  // the detector on those figures: only its own run is timed
  const ned = new NearEndDetector(dir);
  const nedT = time(
    reps,
    hops,
    () => ned.reset(),
    (i) => {
      ned.push(feats[i]);
      ned.run();
    },
  );
  ned.dispose();

  const pipe = new FrontendPipeline({ modelsDir: dir });
  const pipeT = time(
    reps,
    hops,
    () => pipe.reset(),
    (i) => pipe.process(mic(i), ref(i), i * HOP),
  );
  pipe.dispose();

  const out = {
    pipeline: summary(pipeT, audioS, hops),
    aec: summary(aecT, audioS, hops),
    vad: summary(vadT, audioS, chunks),
    ned: summary(nedT, audioS, hops),
    meta: {
      case: c.id,
      hops,
      reps,
      audio_s: Math.round(audioS * 10) / 10,
      load_avg_1m: Math.round(loadavg()[0] * 100) / 100,
      note: 'x_realtime = audio s per CPU s of the process (median over reps), one ORT thread; *_ms_per_step per 10 ms hop (aec, ned, pipeline) or 32 ms chunk (vad)',
    },
  };
  console.error(
    `pipeline ${out.pipeline.x_realtime}x (cpu ${out.pipeline.cpu_ms_per_step} ms/hop), aec ${out.aec.cpu_ms_per_step} ms/hop, vad ${out.vad.cpu_ms_per_step} ms/chunk, ned ${out.ned.cpu_ms_per_step} ms/hop, load ${out.meta.load_avg_1m}`,
  );
  return out;
}
