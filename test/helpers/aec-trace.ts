/**
 * A short deterministic scene for the echo canceller (no espeak: seeded noise bursts, so the input is
 * the same on every machine) and the trace of what the canceller reports over it. Used to prove that
 * a restructured aec.onnx computes the same thing as the graph it replaced
 * (test/fixtures/aec-reference.json was recorded from the previous graph).
 */
import { Rng } from '../../bench/corpus/random.js';
import { echoPath, makeRir } from '../../bench/corpus/room.js';
import type { EchoCanceller } from '../../src/frontend/aec.js';

export const TRACE_HOPS = 500;
const HOP = 160;

/** Speech-like bursts: low-passed noise under a 3–6 Hz syllable envelope, on during [from, to) hops. */
function bursts(rng: Rng, n: number, spans: [number, number][], level: number): Float32Array {
  const x = new Float32Array(n);
  let lp = 0;
  for (let i = 0; i < n; i++) {
    lp = 0.7 * lp + 0.3 * rng.gauss();
    const hop = Math.floor(i / HOP);
    if (!spans.some(([a, b]) => hop >= a && hop < b)) continue;
    const env = 0.5 + 0.5 * Math.sin((2 * Math.PI * 4.3 * i) / 16000);
    x[i] = level * env * env * lp;
  }
  return x;
}

/** Far end from 0.1 s; the customer talks over it (double talk) at 2.5–3.5 s and alone at 4.3–4.8 s. */
export function traceScene(): { mic: Float32Array; ref: Float32Array } {
  const n = TRACE_HOPS * HOP;
  const rng = new Rng(20241);
  const ref = bursts(rng, n, [[10, 420]], 0.3);
  const near = bursts(
    rng,
    n,
    [
      [250, 350],
      [430, 480],
    ],
    0.08,
  );
  const rir = makeRir(new Rng(5), { rt60: 0.25, direct: 0.006, bulk: 0.012 });
  const echo = echoPath(ref, rir, 0);
  const mic = new Float32Array(n);
  for (let i = 0; i < n; i++) mic[i] = 0.5 * echo[i] + near[i] + 0.001 * rng.gauss();
  return { mic, ref };
}

export interface AecTrace {
  /** Per hop: mic energy, error energy, echo-estimate energy, residual-echo PSD, double talk (0/1), noise dB, output energy, output[0], output[80]. */
  hops: number[][];
  /** Filter energy per partition after the last hop. */
  partitions: number[];
}

export function traceAec(aec: EchoCanceller): AecTrace {
  const { mic, ref } = traceScene();
  aec.reset();
  const hops: number[][] = [];
  for (let h = 0; h < TRACE_HOPS; h++) {
    const out = aec.process(mic.subarray(h * HOP, (h + 1) * HOP), ref.subarray(h * HOP, (h + 1) * HOP));
    let oe = 0;
    for (const v of out) oe += v * v;
    const i = aec.info;
    hops.push([
      i.micEnergy,
      i.errorEnergy,
      i.echoEstimateEnergy,
      i.residualEchoPsd,
      i.doubleTalk ? 1 : 0,
      i.noiseDb,
      oe,
      out[0],
      out[80],
    ]);
  }
  const part = aec.filterEnergyByPartition(new Float32Array(aec.meta.partitions));
  return { hops, partitions: Array.from(part) };
}
