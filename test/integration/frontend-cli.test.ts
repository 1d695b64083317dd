/** `voiceterm frontend`: recorded files in, cleaned WAV + barge-in events out; bad input → clear error. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../bench/corpus/random.js';
import { echoPath, makeRir } from '../../bench/corpus/room.js';
import { speak } from '../../bench/corpus/speech.js';
import { readWavMono, writeWav16 } from '../../src/audio/pcm.js';
import { CLI } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-fe-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, 'frontend', ...args], { encoding: 'utf8' });

describe('voiceterm frontend', () => {
  it('writes the cleaned signal and speech_start/speech_end/stats events', () => {
    const agent = speak('Thank you for calling, I can help you with your booking today.', 'en-us+f3');
    const customer = speak('Hold on a second, please.', 'en-gb-scotland+m1');
    const n = agent.length + customer.length + 16000;
    const ref = new Float32Array(n);
    ref.set(agent, 1600);
    const echo = echoPath(ref, makeRir(new Rng(3), { rt60: 0.25, direct: 0.005, bulk: 0.01 }), 0);
    const mic = new Float32Array(n);
    const at = agent.length + 8000; // the customer answers after the agent
    for (let i = 0; i < n; i++)
      mic[i] = 0.5 * echo[i] + (i >= at && i - at < customer.length ? 0.15 * customer[i - at] : 0);
    writeWav16(join(dir, 'mic.wav'), mic, 16000);
    writeWav16(join(dir, 'ref.wav'), ref, 16000);
    const r = cli([
      '--mic',
      join(dir, 'mic.wav'),
      '--ref',
      join(dir, 'ref.wav'),
      '--out',
      join(dir, 'clean.wav'),
      '--events',
      join(dir, 'ev.jsonl'),
    ]);
    expect(r.stderr).toMatch(/x real time/);
    expect(r.status).toBe(0);
    const clean = readWavMono(join(dir, 'clean.wav'));
    expect(clean.sampleRate).toBe(16000);
    expect(clean.samples.length).toBe(n);
    const events = readFileSync(join(dir, 'ev.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const starts = events.filter((e) => e.type === 'speech_start');
    expect(starts.length).toBeGreaterThanOrEqual(1);
    expect(Math.abs(starts[starts.length - 1].t - at / 16000)).toBeLessThan(0.3);
    expect(events.some((e) => e.type === 'speech_end')).toBe(true);
    const stats = events.filter((e) => e.type === 'stats');
    expect(stats.length).toBeGreaterThan(2);
    expect(stats[0]).toHaveProperty('erle_db');
  });

  it('rejects a 48 kHz file and misaligned lengths with exit code 2 and a reason', () => {
    writeWav16(join(dir, 'm48.wav'), new Float32Array(4800), 48000);
    writeWav16(join(dir, 'r16.wav'), new Float32Array(1600), 16000);
    writeWav16(join(dir, 'r16b.wav'), new Float32Array(1000), 16000);
    const a = cli(['--mic', join(dir, 'm48.wav'), '--ref', join(dir, 'r16.wav')]);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/48000 Hz/);
    const b = cli(['--mic', join(dir, 'r16.wav'), '--ref', join(dir, 'r16b.wav')]);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/sample-aligned/);
  });

  it('names the model file when it is altered', () => {
    const models = join(dir, 'models');
    spawnSync('mkdir', ['-p', models]);
    const src = join(import.meta.dirname, '../../models');
    for (const f of ['manifest.json', 'aec.json', 'silero_vad_v6.onnx'])
      copyFileSync(join(src, f), join(models, f));
    writeFileSync(join(models, 'aec.onnx'), 'garbage');
    writeWav16(join(dir, 'z.wav'), new Float32Array(1600), 16000);
    const r = cli(['--mic', join(dir, 'z.wav'), '--ref', join(dir, 'z.wav'), '--models', models]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/aec\.onnx is altered/);
  });
});
