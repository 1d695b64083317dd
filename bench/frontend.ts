/**
 * `npm run bench -- frontend [--quick] [--seeds 1,2] [--cases 12] [--models DIR] [--systems ours,speex]
 *    [--talkers eval|training|validation] [--decision JSON]`
 *
 * Runs the front-end (ours), SpeexDSP (MDF + preprocessor, compiled here against libspeexdsp-dev), WebRTC
 * AudioProcessing 0.3 (AEC2 + NS, compiled against libwebrtc-audio-processing-dev) and no AEC over a seeded
 * synthetic corpus (bench/corpus/), and prints one JSON object keyed by system.
 * Echo metrics (ERLE, double-talk SDR, convergence) come from each case's noise-free twin; barge-in
 * metrics from the noisy mix. The same barge-in rule (Silero on the output) scores the references;
 * ours uses the pipeline's own echo-aware decision. Definitions: src/frontend/README.md.
 * `--talkers validation` runs the near-end detector's held-out voices and sentences (where its
 * thresholds are chosen; `training` runs its training corpus); `--decision '{"nearEndProb":0.9}'` overrides decision
 * constants for such experiments. Reported figures use the evaluation corpus and the defaults.
 */
import { loadavg } from 'node:os';
import { defaultModelsDir } from '../src/frontend/models.js';
import { FrontendPipeline } from '../src/frontend/pipeline.js';
import { SileroVad } from '../src/frontend/vad.js';
import { arg, parseSeeds } from './args.js';
import { type CorpusCase, makeCase } from './corpus/cases.js';
import {
  agentOnlyMask,
  agentOnlyUtterances,
  type BargeInScore,
  convergenceS,
  erleDb,
  median,
  quantile,
  scoreBargeIns,
  sdrDoubleTalkDb,
} from './corpus/metrics.js';
import { talkersNamed } from './corpus/speech.js';
import {
  buildSpeex,
  buildWebrtc,
  cleanupRunners,
  runOurs,
  runSpeex,
  runWebrtc,
  type SystemRun,
  vadStarts,
  type WebrtcOptions,
} from './corpus/systems.js';

const SPEEX_TAIL = 4096; // 256 ms, Speex's usual order of magnitude for a room
// the library's default levels, extended filter + delay-agnostic; delay 0: mic and ref arrive aligned
const WEBRTC: WebrtcOptions = { aecLevel: 'moderate', nsLevel: 'moderate', delayMs: 0 };

interface CaseResult {
  erle: number;
  sdr: number;
  conv: number | null;
  score: BargeInScore;
  procS: number;
  cpuS: number;
  audioS: number;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  const seeds = parseSeeds(arg(args, '--seeds') ?? (quick ? '1' : '1,2'));
  const nCases = Number(arg(args, '--cases') ?? (quick ? 1 : 12));
  const dir = arg(args, '--models') ?? defaultModelsDir();
  const talkerSet = arg(args, '--talkers') ?? 'eval';
  const talkers = talkersNamed(talkerSet);
  const decision = JSON.parse(arg(args, '--decision') ?? '{}');
  const pipe = new FrontendPipeline({ modelsDir: dir, decision });
  const vad = new SileroVad(dir);
  const all = ['ours', 'speex', 'webrtc', 'none'] as const;
  const wanted = (arg(args, '--systems') ?? all.join(',')).split(',');
  const systems = all.filter((s) => wanted.includes(s));
  const speex = systems.includes('speex') ? buildSpeex() : '';
  const webrtc = systems.includes('webrtc') ? buildWebrtc() : '';
  const results: Record<string, Record<number, CaseResult[]>> = Object.fromEntries(
    systems.map((s) => [s, {}]),
  );

  for (const seed of seeds) {
    for (const s of systems) results[s][seed] = [];
    for (let ci = 0; ci < nCases; ci++) {
      const c: CorpusCase = makeCase(seed, ci, talkers);
      const audioS = c.mic.length / 16000;
      const mask = agentOnlyMask(c);
      const agentOnly = agentOnlyUtterances(c);
      const runners: Record<(typeof all)[number], () => { clean: SystemRun; noisy: SystemRun }> = {
        ours: () => ({ clean: runOurs(pipe, c.micNoNoise, c.ref), noisy: runOurs(pipe, c.mic, c.ref) }),
        speex: () => ({
          clean: runSpeex(speex, c.micNoNoise, c.ref, SPEEX_TAIL),
          noisy: runSpeex(speex, c.mic, c.ref, SPEEX_TAIL),
        }),
        webrtc: () => ({
          clean: runWebrtc(webrtc, c.micNoNoise, c.ref, WEBRTC),
          noisy: runWebrtc(webrtc, c.mic, c.ref, WEBRTC),
        }),
        none: () => ({
          clean: { out: c.micNoNoise, starts: [], procS: 0, cpuS: 0 },
          noisy: { out: c.mic, starts: [], procS: 0, cpuS: 0 },
        }),
      };
      const runs = Object.fromEntries(systems.map((s) => [s, runners[s]()]));
      for (const s of systems) {
        const r = runs[s];
        const starts = s === 'ours' ? r.noisy.starts : vadStarts(vad, r.noisy.out);
        const res: CaseResult = {
          erle: erleDb(c.micNoNoise, r.clean.out, mask),
          sdr: sdrDoubleTalkDb(c, r.clean.out),
          conv: convergenceS(c, c.micNoNoise, r.clean.out),
          score: scoreBargeIns(c, starts),
          procS: r.noisy.procS,
          cpuS: r.noisy.cpuS,
          audioS,
        };
        results[s][seed].push(res);
        if (s === 'ours') {
          // which rule made each false start (an agent sentence no customer overlaps)
          const falseBy = r.noisy.starts
            .map((t: number, k: number) => ({ t, why: r.noisy.reasons?.[k] }))
            .filter(({ t }: { t: number }) => agentOnly.some(([a, end]) => t >= a && t < end))
            .map(({ t, why }: { t: number; why?: string }) => `${(t / 16000).toFixed(2)}s:${why}`);
          if (falseBy.length) console.error(`${c.id} false starts: ${falseBy.join(' ')}`);
        }
        console.error(
          `${c.id} ${s.padEnd(5)} erle ${res.erle.toFixed(1)} sdr ${res.sdr.toFixed(1)} conv ${res.conv?.toFixed(2)} false ${res.score.falseStarts}/${res.score.agentUtterances} missed ${res.score.missed}/${res.score.bargeIns} lat ${res.score.latenciesMs.map((x) => x.toFixed(0)).join(',')}`,
        );
      }
      console.error(`   ${JSON.stringify(c.params)}`);
    }
  }

  const summarise = (rs: CaseResult[]) => {
    const fs = rs.reduce((a, r) => a + r.score.falseStarts, 0);
    const au = rs.reduce((a, r) => a + r.score.agentUtterances, 0);
    const proc = rs.reduce((a, r) => a + r.procS, 0);
    const cpu = rs.reduce((a, r) => a + r.cpuS, 0);
    const audio = rs.reduce((a, r) => a + r.audioS, 0);
    const lat = rs.flatMap((r) => r.score.latenciesMs);
    const conv = rs.map((r) => r.conv ?? Number.POSITIVE_INFINITY);
    const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : null);
    return {
      erle_db: round(median(rs.map((r) => r.erle))),
      erle_db_min: round(Math.min(...rs.map((r) => r.erle))),
      sdr_dt_db: round(median(rs.map((r) => r.sdr))),
      sdr_dt_db_min: round(Math.min(...rs.map((r) => r.sdr))),
      false_bargein_pct: round((100 * fs) / Math.max(1, au)),
      false_bargeins: fs,
      agent_utterances: au,
      missed_bargeins: rs.reduce((a, r) => a + r.score.missed, 0),
      n_bargeins: rs.reduce((a, r) => a + r.score.bargeIns, 0),
      speech_start_ms_p50: round(median(lat)),
      speech_start_ms_p95: round(quantile(lat, 0.95)),
      convergence_s: round(median(conv)),
      convergence_s_p95: round(quantile(conv, 0.95)),
      // per CPU second: on this shared 2-core machine wall time mostly measures other people's load
      x_realtime: cpu > 0 ? Math.round(audio / cpu) : null,
      x_realtime_wall: proc > 0 ? Math.round(audio / proc) : null,
    };
  };

  const out: Record<string, unknown> = {};
  for (const s of systems) {
    const rows = seeds.flatMap((seed) => results[s][seed]);
    out[s] = {
      ...summarise(rows),
      per_seed: Object.fromEntries(seeds.map((seed) => [seed, summarise(results[s][seed])])),
    };
  }
  const st = pipe.stats();
  out.meta = {
    seeds,
    cases_per_seed: nCases,
    ours_frame_ms_p50: Math.round(st.procMsP50 * 1000) / 1000,
    ours_frame_ms_p95: Math.round(st.procMsP95 * 1000) / 1000,
    talkers: talkerSet,
    decision_overrides: decision,
    speex_tail_samples: SPEEX_TAIL,
    webrtc: WEBRTC,
    load_avg_1m: Math.round(loadavg()[0] * 100) / 100,
    note: 'x_realtime = audio s per CPU s on one core (ours: AEC+VAD+decision through onnxruntime-node; speex: AEC+preprocessor in C, webrtc: AEC2+NS+HPF in C++, no VAD). ERLE/SDR on noise-free twins.',
  };
  pipe.dispose();
  vad.dispose();
  cleanupRunners();
  return out;
}
