/**
 * Offline processing of recorded files (what `voiceterm frontend` runs): mic + reference arrays in,
 * cleaned audio and barge-in events out. The same FrontendPipeline as the live path, frame by frame.
 */
import type { FrontendPipeline } from './pipeline.js';

export type FrontendEvent =
  | { t: number; type: 'speech_start' | 'speech_end' }
  | {
      t: number;
      type: 'stats';
      erle_db: number;
      residual_echo_db: number;
      double_talk: boolean;
      far_end: boolean;
      speech_prob: number;
      near_end_prob: number;
      echo_delay_ms: number | null;
    };

export interface OfflineResult {
  clean: Float32Array;
  events: FrontendEvent[];
}

/**
 * Runs the pipeline over whole signals (16 kHz, sample-aligned: mic[i] captured while ref[i] was at
 * the DAC). `clean` is aligned back to the input (the suppressor's one-frame latency removed).
 */
export function processOffline(
  pipe: FrontendPipeline,
  mic: Float32Array,
  ref: Float32Array,
  statsEveryS = 1,
): OfflineResult {
  if (mic.length !== ref.length) {
    throw new RangeError(
      `mic and ref must have the same length (mic ${mic.length} samples, ref ${ref.length})`,
    );
  }
  const hop = pipe.frameSamples;
  const rate = pipe.rate;
  const n = Math.ceil(mic.length / hop) * hop;
  const micP = new Float32Array(n + hop);
  const refP = new Float32Array(n + hop);
  micP.set(mic);
  refP.set(ref);
  const clean = new Float32Array(mic.length);
  const events: FrontendEvent[] = [];
  const statsEvery = Math.max(1, Math.round((statsEveryS * rate) / hop));
  pipe.reset();
  for (let i = 0, k = 0; i < n + hop; i += hop, k++) {
    const f = pipe.process(micP.subarray(i, i + hop), refP.subarray(i, i + hop), i);
    const t = Math.round(((i + hop) / rate) * 1000) / 1000;
    if (i >= hop) clean.set(f.clean.subarray(0, Math.max(0, Math.min(hop, mic.length - (i - hop)))), i - hop);
    if (f.speechStart) events.push({ t, type: 'speech_start' });
    if (f.speechEnd) events.push({ t, type: 'speech_end' });
    if (k % statsEvery === statsEvery - 1) {
      events.push({
        t,
        type: 'stats',
        erle_db: Math.round(f.erleDb * 10) / 10,
        residual_echo_db: Math.round(f.residualEchoDb * 10) / 10,
        double_talk: f.doubleTalk,
        far_end: f.farEndActive,
        speech_prob: Math.round(f.speechProb * 1000) / 1000,
        near_end_prob: Math.round(f.nearEndProb * 1000) / 1000,
        echo_delay_ms: f.echoDelayMs ?? null,
      });
    }
  }
  return { clean, events };
}
