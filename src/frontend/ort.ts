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
 * 10 ms hop); V8 frees them in bulk, and glibc, which gives the top of the heap back to the kernel
 * once 128 kB are free there, shrinks and regrows it page by page: the front-end then costs ~1.5x
 * (0.38-0.50 ms per hop instead of 0.25-0.27 here). A threshold of some MB, set before the process
 * starts (glibc reads it once), stops that: the systemd unit and `npm start` / `npm run bench` set it.
 * Returns a warning when it is not set on Linux, else undefined.
 */
export function heapTrimHint(platform: string, env: Record<string, string | undefined>): string | undefined {
  if (platform !== 'linux' || env.MALLOC_TRIM_THRESHOLD_) return undefined;
  return 'MALLOC_TRIM_THRESHOLD_ is not set: the front-end runs ~1.5x slower (set it to 33554432, as the systemd unit does)';
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
