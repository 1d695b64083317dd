/**
 * onnxruntime-node, used synchronously. The public API's session.run() is async only because it
 * defers the (synchronous) native call with setImmediate; on the audio path that costs a macrotask
 * and a Promise per 10 ms frame. We call the native session directly: same library, same model,
 * ~7 µs per call here, outputs written into our preallocated tensors.
 */
import { createRequire } from 'node:module';
import type { Tensor as OrtTensor } from 'onnxruntime-node';

const require = createRequire(import.meta.url);

interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  readonly inputMetadata: { name: string }[];
  readonly outputMetadata: { name: string }[];
  run(
    feeds: Record<string, OrtTensor>,
    fetches: Record<string, OrtTensor | null>,
    options: object,
  ): Record<string, OrtTensor>;
  dispose(): void;
}

interface Binding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt: () => void;
}

let loaded: { binding: Binding; Tensor: typeof OrtTensor } | undefined;

function ort(): { binding: Binding; Tensor: typeof OrtTensor } {
  if (!loaded) {
    const common = require('onnxruntime-node') as { Tensor: typeof OrtTensor };
    const binding = require('onnxruntime-node/dist/binding.js') as Binding;
    binding.initOrt();
    loaded = { binding, Tensor: common.Tensor };
  }
  return loaded;
}

export type Tensor = OrtTensor;

/**
 * onnxruntime-node returns every output of a run in a new buffer (the canceller's state: ~113 kB per
 * 10 ms hop, 167 kB with its cube channel on); V8 frees them in bulk, and glibc, which gives the top
 * of the heap back to the kernel once 128 kB are free there, shrinks and regrows it page by page: the
 * front-end then costs ~1.5x (0.38-0.50 ms per hop instead of 0.25-0.27 here). A trim threshold of
 * some MB stops that. Setting it also fixes glibc's mmap threshold at 128 kB (it no longer adapts),
 * and a buffer above that is then mapped and unmapped on every hop (4x slower, measured with a 165 kB
 * state): so the mmap threshold is raised with it (the shipped state is under 128 kB; the cube
 * channel's is not). Both are read once, before the process starts: the systemd unit and
 * `npm start` / `npm run bench` set them. Returns a warning when either is not set on Linux, else
 * undefined.
 */
export const HEAP_ENV = { MALLOC_TRIM_THRESHOLD_: '33554432', MALLOC_MMAP_THRESHOLD_: '1048576' } as const;

export function heapTrimHint(platform: string, env: Record<string, string | undefined>): string | undefined {
  if (platform !== 'linux') return undefined;
  const missing = Object.entries(HEAP_ENV).filter(([k]) => !env[k]);
  if (missing.length === 0) return undefined;
  return `${missing.map(([k]) => k).join(' and ')} not set: the front-end runs 1.5-4x slower (set ${missing
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}, as the systemd unit does)`;
}

export function floatTensor(data: Float32Array, dims: number[]): Tensor {
  return new (ort().Tensor)('float32', data, dims);
}

export function int64Tensor(data: BigInt64Array, dims: number[]): Tensor {
  return new (ort().Tensor)('int64', data, dims);
}

/** A loaded model, run synchronously with one intra-op thread (steadier timing, one core budget). */
export class SyncSession {
  private readonly native: NativeSession;
  private static readonly runOptions = {};
  readonly inputNames: string[];
  readonly outputNames: string[];

  constructor(model: Uint8Array) {
    this.native = new (ort().binding.binding.InferenceSession)();
    this.native.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      enableCpuMemArena: true,
      enableMemPattern: true,
      // With one intra-op thread ORT runs kernels on the calling thread and starts no pool (checked:
      // no thread appears); should a pool ever exist, a spinning worker would burn the core we share.
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
    this.inputNames = this.native.inputMetadata.map((m) => m.name);
    this.outputNames = this.native.outputMetadata.map((m) => m.name);
  }

  /** Runs the model; every output is written into the tensor given for it in `fetches`. */
  run(feeds: Record<string, Tensor>, fetches: Record<string, Tensor>): void {
    this.native.run(feeds, fetches, SyncSession.runOptions);
  }

  dispose(): void {
    this.native.dispose();
  }
}
