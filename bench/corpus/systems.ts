/**
 * The systems the frontend bench compares: ours (the pipeline), SpeexDSP (C runner), WebRTC AudioProcessing
 * 0.3 (C++ runner), no AEC. The reference runners are compiled here at bench time against Debian's dev
 * packages; they are never part of the product.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BargeInDecision, NoiseFloor } from '../../src/frontend/decision.js';
import {
  type FrontendPipeline,
  VAD_RENEW_CHUNKS,
  VAD_RENEW_WARM_CHUNKS,
} from '../../src/frontend/pipeline.js';
import { type SileroVad, VAD_CHUNK } from '../../src/frontend/vad.js';

export interface SystemRun {
  out: Float32Array;
  /** speech_start sample indices (in input time). */
  starts: number[];
  /** Ours: the decision rule behind each start (BargeInDecision.startReason). */
  reasons?: string[];
  /** Seconds spent processing (AEC, plus VAD for ours), wall clock. */
  procS: number;
  /** CPU seconds of the processing (this machine is shared: wall time inflates under others' load). */
  cpuS: number;
}

const HOP = 160;

/** Ours: the live pipeline, frame by frame. Output is aligned back by the suppressor's one-hop latency. */
export function runOurs(pipe: FrontendPipeline, mic: Float32Array, ref: Float32Array): SystemRun {
  pipe.reset();
  const n = Math.floor(mic.length / HOP) * HOP;
  const out = new Float32Array(mic.length);
  const starts: number[] = [];
  const reasons: string[] = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i += HOP) {
    const f = pipe.process(mic.subarray(i, i + HOP), ref.subarray(i, i + HOP), i);
    if (i >= HOP) out.set(f.clean, i - HOP);
    if (f.speechStart) {
      starts.push(i + HOP);
      reasons.push(pipe.decision.startReason);
    }
  }
  const c = process.cpuUsage(c0);
  return { out, starts, reasons, procS: (performance.now() - t0) / 1000, cpuS: (c.user + c.system) / 1e6 };
}

/** The same barge-in rule for every reference: Silero on the output (its state renewed as in our
 * pipeline), plain thresholds. */
export function vadStarts(vad: SileroVad, out: Float32Array): number[] {
  vad.reset();
  const d = new BargeInDecision();
  const noise = new NoiseFloor();
  const starts: number[] = [];
  let age = 0;
  for (let i = 0; i + VAD_CHUNK <= out.length; i += VAD_CHUNK) {
    const chunk = out.subarray(i, i + VAD_CHUNK);
    if (++age >= VAD_RENEW_CHUNKS && !d.active) {
      vad.renew(VAD_RENEW_WARM_CHUNKS);
      age = 0;
    }
    const p = vad.process(chunk);
    let e = 0;
    for (const v of chunk) e += v * v;
    const outDb = 10 * Math.log10(e / VAD_CHUNK + 1e-12);
    // references have no echo estimate: VAD + the same noise margin
    const ev = d.update({
      speechProb: p,
      farEndActive: false,
      outDb,
      echoDb: -120,
      noiseDb: noise.update(outDb),
      erleDb: 0,
    });
    if (ev === 'speech_start') starts.push(i + VAD_CHUNK);
  }
  return starts;
}

const here = dirname(fileURLToPath(import.meta.url));
// per process: two bench runs must not share the runner's files
const work = join(tmpdir(), `voiceterm-bench-frontend-${process.pid}`);

/** Removes the compiled runners and their scratch files. */
export function cleanupRunners(): void {
  rmSync(work, { recursive: true, force: true });
}

function toS16(x: Float32Array): Buffer {
  const b = Buffer.alloc(x.length * 2);
  for (let i = 0; i < x.length; i++)
    b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(x[i] * 32767))), i * 2);
  return b;
}

function fromS16(b: Buffer): Float32Array {
  const y = new Float32Array(b.length / 2);
  for (let i = 0; i < y.length; i++) y[i] = b.readInt16LE(i * 2) / 32768;
  return y;
}

/** A runner's source beside this module (the TypeScript source) or, from dist/bench/corpus, in bench/corpus. */
function runnerSource(name: string): string {
  const candidates = [join(here, name), join(here, '../../../bench/corpus', name)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`${name} not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** Compiles the SpeexDSP runner (libspeexdsp-dev) once per bench run; returns its path. */
export function buildSpeex(): string {
  mkdirSync(work, { recursive: true });
  const exe = join(work, 'speex_runner');
  execFileSync('gcc', ['-O2', '-o', exe, runnerSource('speex_runner.c'), '-lspeexdsp']);
  return exe;
}

/** Compiles the WebRTC AudioProcessing 0.3 runner (libwebrtc-audio-processing-dev, C++ only) once per bench run. */
export function buildWebrtc(): string {
  mkdirSync(work, { recursive: true });
  const exe = join(work, 'webrtc_runner');
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'webrtc-audio-processing'], {
    encoding: 'utf8',
  })
    .trim()
    .split(/\s+/);
  execFileSync('g++', ['-O2', '-std=c++11', '-o', exe, runnerSource('webrtc_runner.cc'), ...flags]);
  return exe;
}

/** Runs a reference runner over s16 files: it prints "wall_s cpu_s" and writes the output beside them. */
function runRunner(exe: string, mic: Float32Array, ref: Float32Array, extra: string[]): SystemRun {
  const m = join(work, 'mic.s16');
  const r = join(work, 'ref.s16');
  const o = join(work, 'out.s16');
  writeFileSync(m, toS16(mic));
  writeFileSync(r, toS16(ref));
  const [secs, cpu] = execFileSync(exe, [m, r, o, ...extra], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)
    .map(Number);
  const out = fromS16(readFileSync(o));
  const full = new Float32Array(mic.length);
  full.set(out.subarray(0, mic.length));
  return { out: full, starts: [], procS: secs, cpuS: cpu };
}

export function runSpeex(exe: string, mic: Float32Array, ref: Float32Array, tail: number): SystemRun {
  return runRunner(exe, mic, ref, [String(tail)]);
}

/** How the WebRTC reference is configured (see webrtc_runner.cc): AEC2 suppression and NS levels. */
export interface WebrtcOptions {
  aecLevel: 'low' | 'moderate' | 'high';
  nsLevel: 'low' | 'moderate' | 'high' | 'veryhigh';
  /** Reported render→capture delay: 0, mic and ref arrive sample-aligned from the audio engine. */
  delayMs: number;
}

export function runWebrtc(exe: string, mic: Float32Array, ref: Float32Array, o: WebrtcOptions): SystemRun {
  return runRunner(exe, mic, ref, [o.aecLevel, o.nsLevel, String(o.delayMs)]);
}
