/**
 * The front-end with the real models on onnxruntime-node: echo cancelled, the customer's barge-in
 * detected, echo alone never taken for the customer; the AEC generator reproduces the versioned
 * model byte for byte. Speech from espeak-ng, the room from bench/corpus (the acoustic double).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../bench/corpus/random.js';
import { echoPath, makeRir } from '../../bench/corpus/room.js';
import { speak } from '../../bench/corpus/speech.js';
import { processOffline } from '../../src/frontend/offline.js';
import { FrontendPipeline } from '../../src/frontend/pipeline.js';

const RATE = 16000;
const root = join(import.meta.dirname, '../..');
let pipe: FrontendPipeline;
let agent: Float32Array;
let customer: Float32Array;

beforeAll(() => {
  pipe = new FrontendPipeline({ modelsDir: join(root, 'models') });
  agent = speak(
    'Your appointment is confirmed for Tuesday at half past ten. Please keep your reference number ready when you arrive. The parking garage is open from six in the morning until midnight.',
    'en-us+f3',
  );
  customer = speak('Wait, stop, that is not what I meant.', 'en-gb-scotland+m1');
});
afterAll(() => pipe.dispose());

function scene(withCustomerAt?: number) {
  const n = agent.length + RATE;
  const ref = new Float32Array(n);
  ref.set(agent, Math.round(0.2 * RATE));
  const rir = makeRir(new Rng(7), { rt60: 0.3, direct: 0.01, bulk: 0.02 });
  const echo = echoPath(ref, rir, 0);
  const mic = new Float32Array(n);
  for (let i = 0; i < n; i++) mic[i] = 0.5 * echo[i];
  if (withCustomerAt !== undefined) {
    const at = Math.round(withCustomerAt * RATE);
    for (let i = 0; i < customer.length && at + i < n; i++) mic[at + i] += 0.15 * customer[i];
  }
  return { mic, ref };
}

describe('front-end pipeline (onnxruntime-node, real models)', () => {
  it('cancels the echo: > 25 dB ERLE after 2 s, and echo alone raises no speech_start', () => {
    const { mic, ref } = scene();
    const { clean, events } = processOffline(pipe, mic, ref);
    let pm = 0;
    let po = 0;
    for (let i = 2 * RATE; i < mic.length; i++) {
      pm += mic[i] * mic[i];
      po += clean[i] * clean[i];
    }
    expect(10 * Math.log10(pm / po)).toBeGreaterThan(25);
    expect(events.filter((e) => e.type === 'speech_start' && e.t > 2)).toEqual([]);
    const stats = events.filter((e) => e.type === 'stats');
    expect(stats.length).toBeGreaterThan(3);
    const last = stats[stats.length - 2];
    expect(last.type === 'stats' && last.erle_db).toBeGreaterThan(15);
  });

  it('detects the customer barging in over the agent within 300 ms and keeps their speech', () => {
    const at = 4.0;
    const { mic, ref } = scene(at);
    const { clean, events } = processOffline(pipe, mic, ref);
    const start = events.find((e) => e.type === 'speech_start' && e.t >= at - 0.05);
    expect(start).toBeDefined();
    expect((start?.t ?? 99) - at).toBeLessThan(0.3);
    // the customer is still there: output energy over their utterance is within 6 dB of theirs
    const a = Math.round(at * RATE);
    let pc = 0;
    let po = 0;
    for (let i = 0; i < customer.length; i++) {
      pc += (0.15 * customer[i]) ** 2;
      po += clean[a + i] ** 2;
    }
    expect(Math.abs(10 * Math.log10(po / pc))).toBeLessThan(6);
  });

  it('processes frames of the wrong size with a clear error', () => {
    expect(() => pipe.process(new Float32Array(100), new Float32Array(100), 0)).toThrow(/160 samples/);
  });
});

describe('AEC graph generator', () => {
  const out = mkdtempSync(join(tmpdir(), 'vt-aec-gen-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  it('regenerates models/aec.onnx and aec.json byte for byte (Debian python3-onnx)', () => {
    execFileSync('/usr/bin/python3', [join(root, 'models/gen/aec.py'), out], {
      env: { ...process.env, AEC_CFG: '' },
    });
    for (const f of ['aec.onnx', 'aec.json']) {
      expect(readFileSync(join(out, f)).equals(readFileSync(join(root, 'models', f)))).toBe(true);
    }
  });
});
