/**
 * The scenario description of a simulated room: what the loudspeaker-to-microphone path does to
 * the played signal, who talks near the terminal and when, and the background noise. Plain data,
 * so benches can build corpora from JSON; `resolveScenario()` validates it (clear errors naming the
 * field), loads the talkers' WAV files and resamples them to the scenario rate.
 */
import { readWavMono } from '../pcm.js';
import { resampleSignal } from '../resample/polyphase.js';
import { PartitionedConvolver } from './convolver.js';
import type { NoiseType } from './noise.js';
import { syntheticRir } from './rir.js';

export interface EchoPathSpec {
  /** Impulse response at the scenario rate, used exactly as given (times gainDb). */
  ir?: ArrayLike<number>;
  /** Or: synthesise a unit-energy response with this RT60, seconds (default 0.3 when no ir). */
  rt60?: number;
  /** Length of the synthetic response (default: RT60). */
  irLengthMs?: number;
  /** Direct-to-reverberant ratio of the synthetic response, dB (default 3). */
  drrDb?: number;
  /** Bulk delay DAC → mic (converters, air), ms (default 0). */
  delayMs?: number;
  /** Echo path gain, dB (default 0: a unit-energy room, the echo is as loud as the playback). */
  gainDb?: number;
  /** Loudspeaker nonlinearity before the room: y = level·tanh(x/level) (default none). */
  nonlinearity?: 'none' | { type: 'softclip'; level?: number };
}

export interface TalkerSpec {
  /** A WAV file (any rate, mono or averaged to mono)… */
  wav?: string;
  /** …or the samples themselves, at sampleRate (default: the scenario rate). */
  samples?: Float32Array;
  sampleRate?: number;
  /** When the talker starts, ms from open() (within the loop when loopMs is set). */
  atMs: number;
  gainDb?: number;
  /**
   * The talker's own acoustic path to the mic (default: dry). A synthetic room from rt60 (seeded
   * from the scenario seed and the talker's position in the list) or a given ir; `near` in the
   * ground truth is then the reverberant speech as it reaches the mic.
   */
  room?: { rt60?: number; ir?: ArrayLike<number>; drrDb?: number };
  /** A label for reports. */
  name?: string;
}

export interface NoiseSpec {
  type: NoiseType;
  /** Level relative to the near-end talkers' active speech level, dB (needs talkers)… */
  snrDb?: number;
  /** …or an absolute RMS level, dBFS. */
  levelDbfs?: number;
}

export interface RoomScenario {
  /** Sample rate, Hz (default 16000). */
  rate?: number;
  /** Frame length, ms (default 10). */
  frameMs?: number;
  echoPath?: EchoPathSpec;
  talkers?: TalkerSpec[];
  noise?: NoiseSpec;
  /** Repeat the talker schedule every loopMs (the demo conversation loops). */
  loopMs?: number;
  /** Seed for the synthetic room and the noise (default 1). */
  seed?: number;
}

export interface ResolvedTalker {
  name: string;
  /** Already scaled by gainDb and at the scenario rate. */
  samples: Float32Array;
  startSample: number;
}

export interface ResolvedScenario {
  rate: number;
  frameSamples: number;
  ir: Float32Array;
  delaySamples: number;
  softclipLevel: number | undefined;
  talkers: ResolvedTalker[];
  noiseType: NoiseType;
  /** Target noise RMS (linear); 0 without noise. */
  noiseRms: number;
  loopSamples: number | undefined;
  seed: number;
}

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

const dbToGain = (db: number) => 10 ** (db / 20);

function check(cond: boolean, msg: string): void {
  if (!cond) throw new ScenarioError(`room scenario: ${msg}`);
}

export function resolveScenario(s: RoomScenario): ResolvedScenario {
  const rate = s.rate ?? 16000;
  check(
    Number.isInteger(rate) && rate >= 8000 && rate <= 192000,
    `rate must be an integer 8000..192000 Hz, got ${rate}`,
  );
  const frameMs = s.frameMs ?? 10;
  const frameSamples = Math.round((rate * frameMs) / 1000);
  check(
    frameSamples >= 1 && Math.abs((frameSamples * 1000) / rate - frameMs) < 1e-9,
    `frameMs ${frameMs} is not a whole number of samples at ${rate} Hz`,
  );
  const seed = s.seed ?? 1;
  check(Number.isInteger(seed), `seed must be an integer, got ${seed}`);

  const ep = s.echoPath ?? {};
  let ir: Float32Array;
  if (ep.ir !== undefined) {
    check(ep.ir.length > 0, 'echoPath.ir is empty');
    ir = Float32Array.from(ep.ir);
    check(ir.every(Number.isFinite), 'echoPath.ir has non-finite values');
  } else {
    const rt60 = ep.rt60 ?? 0.3;
    check(rt60 > 0 && rt60 <= 5, `echoPath.rt60 must be in (0, 5] s, got ${rt60}`);
    ir = syntheticRir({ rate, rt60, seed, lengthMs: ep.irLengthMs, drrDb: ep.drrDb });
  }
  const gain = dbToGain(ep.gainDb ?? 0);
  if (gain !== 1) for (let i = 0; i < ir.length; i++) ir[i] *= gain;
  const delayMs = ep.delayMs ?? 0;
  check(delayMs >= 0 && delayMs <= 2000, `echoPath.delayMs must be 0..2000, got ${delayMs}`);
  let softclipLevel: number | undefined;
  if (ep.nonlinearity && ep.nonlinearity !== 'none') {
    check(ep.nonlinearity.type === 'softclip', `echoPath.nonlinearity.type must be 'softclip'`);
    softclipLevel = ep.nonlinearity.level ?? 0.5;
    check(softclipLevel > 0, `echoPath.nonlinearity.level must be > 0, got ${softclipLevel}`);
  }

  const talkers = (s.talkers ?? []).map((t, i) => resolveTalker(t, i, rate, seed));
  const loopSamples = s.loopMs === undefined ? undefined : Math.round((s.loopMs * rate) / 1000);
  check(
    loopSamples === undefined || loopSamples >= frameSamples,
    `loopMs must be at least one frame, got ${s.loopMs}`,
  );

  const noise = s.noise ?? { type: 'none' as const };
  check(
    ['none', 'white', 'pink', 'babble'].includes(noise.type),
    `noise.type must be none|white|pink|babble, got ${noise.type}`,
  );
  let noiseRms = 0;
  if (noise.type !== 'none') {
    check(
      (noise.snrDb === undefined) !== (noise.levelDbfs === undefined),
      'noise needs exactly one of snrDb or levelDbfs',
    );
    if (noise.levelDbfs !== undefined) noiseRms = dbToGain(noise.levelDbfs);
    else {
      const speech = activeSpeechRms(talkers, rate);
      check(speech > 0, 'noise.snrDb needs near-end talkers with some signal (or use levelDbfs)');
      noiseRms = speech / dbToGain(noise.snrDb as number);
    }
  }
  return {
    rate,
    frameSamples,
    ir,
    delaySamples: Math.round((delayMs * rate) / 1000),
    softclipLevel,
    talkers,
    noiseType: noise.type,
    noiseRms,
    loopSamples,
    seed,
  };
}

function resolveTalker(t: TalkerSpec, i: number, rate: number, seed: number): ResolvedTalker {
  const label = `talkers[${i}]`;
  check((t.wav === undefined) !== (t.samples === undefined), `${label} needs exactly one of wav or samples`);
  check(Number.isFinite(t.atMs) && t.atMs >= 0, `${label}.atMs must be >= 0, got ${t.atMs}`);
  let samples: Float32Array;
  let from: number;
  if (t.wav !== undefined) {
    const w = readWavMono(t.wav);
    samples = w.samples;
    from = w.sampleRate;
  } else {
    samples = t.samples as Float32Array;
    from = t.sampleRate ?? rate;
  }
  let atRate = resampleSignal(samples, from, rate);
  if (t.room) atRate = reverberate(atRate, t.room, rate, seed * 7919 + 101 * (i + 1), label);
  const g = dbToGain(t.gainDb ?? 0);
  for (let k = 0; k < atRate.length; k++) atRate[k] *= g;
  return { name: t.name ?? t.wav ?? label, samples: atRate, startSample: Math.round((t.atMs * rate) / 1000) };
}

/** Convolve a talker with its path to the mic; the output keeps the reverberant tail. */
function reverberate(
  x: Float32Array,
  room: NonNullable<TalkerSpec['room']>,
  rate: number,
  seed: number,
  label: string,
): Float32Array {
  check(
    (room.ir === undefined) !== (room.rt60 === undefined),
    `${label}.room needs exactly one of rt60 or ir`,
  );
  let ir: Float32Array;
  if (room.ir !== undefined) {
    check(room.ir.length > 0, `${label}.room.ir is empty`);
    ir = Float32Array.from(room.ir);
  } else {
    const rt60 = room.rt60 as number;
    check(rt60 > 0 && rt60 <= 5, `${label}.room.rt60 must be in (0, 5] s, got ${rt60}`);
    ir = syntheticRir({ rate, rt60, seed, drrDb: room.drrDb ?? 6 });
  }
  const padded = new Float32Array(x.length + ir.length - 1);
  padded.set(x);
  new PartitionedConvolver(ir).process(padded, padded);
  return padded;
}

/**
 * Active speech level (ITU-T P.56 in spirit, simpler): RMS over the 20 ms blocks of all talkers
 * whose energy is within 40 dB of the loudest block, so pauses don't dilute the SNR.
 */
export function activeSpeechRms(talkers: ResolvedTalker[], rate: number): number {
  const block = Math.max(1, Math.round(rate * 0.02));
  const energies: number[] = [];
  for (const t of talkers) {
    for (let b = 0; b + block <= t.samples.length; b += block) {
      let e = 0;
      for (let k = b; k < b + block; k++) e += t.samples[k] * t.samples[k];
      energies.push(e / block);
    }
  }
  if (energies.length === 0) return 0;
  const max = Math.max(...energies);
  if (max === 0) return 0;
  const active = energies.filter((e) => e >= max * 1e-4);
  return Math.sqrt(active.reduce((a, b) => a + b, 0) / active.length);
}
