/**
 * Offline rendering of a scenario into whole signals — the corpus builder's entry point. Plays
 * `playback` (the far end / agent) from `playAtMs`, runs the room for `durationMs` as fast as the
 * CPU allows and returns every signal sample-aligned: what the AEC sees (mic, ref) and the ground
 * truth to score it (echo only, near-end only, noise only).
 */
import { RoomDevice } from './room-device.js';
import type { RoomScenario } from './scenario.js';

export interface RoomRecording {
  rate: number;
  mic: Float32Array;
  ref: Float32Array;
  echo: Float32Array;
  near: Float32Array;
  noise: Float32Array;
}

export interface RecordOptions {
  durationMs: number;
  /** Far-end audio at the scenario rate, queued when the clock reaches playAtMs. */
  playback?: Float32Array;
  playAtMs?: number;
}

export async function recordRoom(scenario: RoomScenario, opts: RecordOptions): Promise<RoomRecording> {
  const dev = new RoomDevice(scenario, {
    queueSeconds: Math.max(1, (opts.playback?.length ?? 0) / (scenario.rate ?? 16000) + 1),
  });
  await dev.open();
  const F = dev.config.frameSamples;
  const frames = Math.ceil(opts.durationMs / (1000 * (F / dev.config.rate)) - 1e-9);
  const n = frames * F;
  const out: RoomRecording = {
    rate: dev.config.rate,
    mic: new Float32Array(n),
    ref: new Float32Array(n),
    echo: new Float32Array(n),
    near: new Float32Array(n),
    noise: new Float32Array(n),
  };
  const playAt = Math.round(((opts.playAtMs ?? 0) * dev.config.rate) / 1000);
  let queued = !opts.playback;
  const truth = dev.truth;
  for (let f = 0; f < frames; f++) {
    // Queue at the frame boundary on or after playAt; the device plays it from this frame on.
    if (!queued && f * F >= playAt) {
      dev.write(opts.playback as Float32Array);
      queued = true;
    }
    const fr = dev.step();
    if (!fr) break;
    const at = f * F;
    out.mic.set(fr.mic, at);
    out.ref.set(fr.ref, at);
    out.echo.set(truth.echo, at);
    out.near.set(truth.near, at);
    out.noise.set(truth.noise, at);
  }
  await dev.close();
  return out;
}
