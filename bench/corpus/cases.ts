/**
 * The frontend corpus: seeded cases of an agent (the far end, played by the terminal) talking while a
 * customer (the near end) barges in. Each case has agent-only stretches, double talk and a
 * customer-only stretch, with labels. Speech comes from espeak-ng, cached per (voice, line).
 */
import { Rng } from './random.js';
import { babbleNoise, carNoise, echoPath, makeRir, rms } from './room.js';
import { EVAL_TALKERS, RATE, speakCached, type Talkers } from './speech.js';

export type Interval = [start: number, end: number];

export interface CorpusCase {
  id: string;
  /** The reference (what the DAC played), sample-aligned with mic. */
  ref: Float32Array;
  /** echo + near + noise: what the microphone captured. */
  mic: Float32Array;
  /** echo + near, no noise: the twin used for the echo metrics (ERLE, SDR). */
  micNoNoise: Float32Array;
  echo: Float32Array;
  near: Float32Array;
  /** Agent utterances in samples (of the reference; the echo follows within the path delay). */
  agent: Interval[];
  /** Customer utterances in samples; bargeIn = starts while the agent talks. */
  customer: { span: Interval; bargeIn: boolean }[];
  params: {
    rt60: number;
    directMs: number;
    bulkMs: number;
    distortion: number;
    ecrDb: number;
    noise: string;
    snrDb: number;
  };
}

/** Barge-ins per case: 3, so 12 cases give the 36 of targets.md. */
export const BARGEINS_PER_CASE = 3;

/** Case `index` of corpus `seed`; `talkers` picks the sentences and voices (the evaluation set unless
 * told: the near-end detector trains and is validated on other sets, see TRAINING_TALKERS). */
export function makeCase(
  seed: number,
  index: number,
  talkers: Talkers = EVAL_TALKERS,
  /** Range of the noise's SNR (re the customer), dB: the evaluation's 10-30 unless told (the
   * near-end detector also trains on quiet rooms, see bench/ned-data.ts). */
  snrRangeDb: [number, number] = [10, 30],
): CorpusCase {
  const { agentLines, customerLines, agentVoices, customerVoices } = talkers;
  const rng = new Rng(seed * 1000 + index + 1);
  const agentVoice = rng.pick(agentVoices);
  const customerVoice = rng.pick(customerVoices);
  // the evaluation corpus has no speeds: it draws nothing here, so its cases stay as they were
  const agentSpeed = talkers.speeds ? rng.pick(talkers.speeds) : 165;
  const customerSpeed = talkers.speeds ? rng.pick(talkers.speeds) : 165;
  // Agent: 8 utterances with short pauses; barge-ins start inside utterances 2, 4 and 6 (never in
  // the first 2 s, which is convergence time), then a customer-only stretch after the agent ends.
  const nAgent = 8;
  const bargeAt = new Set([2, 4, 6]);
  const pieces: { at: number; x: Float32Array }[] = [];
  const agent: Interval[] = [];
  const customerPieces: { at: number; x: Float32Array; bargeIn: boolean }[] = [];
  let t = Math.round(0.2 * RATE);
  for (let i = 0; i < nAgent; i++) {
    const x = speakCached(agentLines[(index * 5 + i) % agentLines.length], agentVoice, agentSpeed);
    pieces.push({ at: t, x });
    agent.push([t, t + x.length]);
    if (bargeAt.has(i)) {
      const c = speakCached(rng.pick(customerLines), customerVoice, customerSpeed);
      customerPieces.push({ at: t + Math.round(rng.uniform(0.4, 1.2) * RATE), x: c, bargeIn: true });
    }
    t += x.length + Math.round(rng.uniform(0.4, 0.9) * RATE);
  }
  t += Math.round(1.0 * RATE);
  const last = speakCached(rng.pick(customerLines), customerVoice, customerSpeed);
  customerPieces.push({ at: t, x: last, bargeIn: false });
  const n = t + last.length + Math.round(1.0 * RATE);

  const ref = new Float32Array(n);
  for (const p of pieces) ref.set(p.x.subarray(0, Math.min(p.x.length, n - p.at)), p.at);
  // The agent plays at a realistic level: 0.5 peak was normalised in speak(); scale per case.
  const refGain = rng.uniform(0.4, 0.9);
  for (let i = 0; i < n; i++) ref[i] *= refGain;

  const params = {
    rt60: rng.uniform(0.15, 0.6),
    directMs: rng.uniform(2, 40),
    bulkMs: rng.uniform(0, 60),
    distortion: index % 3 === 1 ? rng.uniform(2, 5) : 0,
    ecrDb: rng.uniform(-5, 15),
    noise: rng.next() < 0.5 ? 'car' : 'babble',
    snrDb: rng.uniform(snrRangeDb[0], snrRangeDb[1]),
  };
  const rir = makeRir(rng, { rt60: params.rt60, direct: params.directMs / 1000, bulk: params.bulkMs / 1000 });
  const echo = echoPath(ref, rir, params.distortion);

  const dry = new Float32Array(n);
  const customer: CorpusCase['customer'] = [];
  for (const c of customerPieces) {
    dry.set(c.x.subarray(0, Math.min(c.x.length, n - c.at)), c.at);
    customer.push({ span: [c.at, Math.min(n, c.at + c.x.length)], bargeIn: c.bargeIn });
  }
  // The customer is a metre or two away: a short room response of their own.
  const nearRir = makeRir(rng, { rt60: rng.uniform(0.15, 0.4), direct: 0.003, bulk: 0 });
  const near = echoPath(dry, nearRir, 0);

  // Levels: customer speech at about -26 dBFS RMS while active; echo set by the echo-to-customer ratio.
  const nearRms = activeRms(
    near,
    customer.map((c) => c.span),
  );
  const echoRms = activeRms(echo, agent);
  const gNear = 0.05 / nearRms;
  const gEcho = (0.05 * 10 ** (params.ecrDb / 20)) / echoRms;
  for (let i = 0; i < n; i++) {
    near[i] *= gNear;
    echo[i] *= gEcho;
  }
  const noise =
    params.noise === 'car'
      ? carNoise(rng, n)
      : babbleNoise(
          rng,
          n,
          [0, 1, 2, 3].map((k) =>
            speakCached(agentLines[(index + 3 * k + 1) % agentLines.length], customerVoices[k]),
          ),
        );
  const gNoise = 0.05 * 10 ** (-params.snrDb / 20);
  const mic = new Float32Array(n);
  const micNoNoise = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    micNoNoise[i] = echo[i] + near[i];
    mic[i] = micNoNoise[i] + gNoise * noise[i];
  }
  return { id: `s${seed}c${index}`, ref, mic, micNoNoise, echo, near, agent, customer, params };
}

function activeRms(x: Float32Array, spans: Interval[]): number {
  let s = 0;
  let k = 0;
  for (const [a, b] of spans) {
    const r = rms(x, a, b);
    s += r * r * (b - a);
    k += b - a;
  }
  return Math.sqrt(s / Math.max(1, k)) || 1e-9;
}
