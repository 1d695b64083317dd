/**
 * Silero VAD v6 (models/silero_vad_v6.onnx, from @ricky0123/vad-web, MIT) at 16 kHz: 512-sample
 * chunks, each preceded by the last 64 samples of the previous chunk (v6 barely fires without that
 * context). The recurrent state ping-pongs between two preallocated tensors.
 */
import { loadVerified } from './models.js';
import { floatTensor, int64Tensor, SyncSession, type Tensor } from './ort.js';

export const VAD_CHUNK = 512;
export const VAD_CONTEXT = 64;

export class SileroVad {
  private readonly session: SyncSession;
  private readonly input = new Float32Array(VAD_CONTEXT + VAD_CHUNK);
  private readonly stateA = new Float32Array(2 * 128);
  private readonly stateB = new Float32Array(2 * 128);
  private readonly prob = new Float32Array(1);
  private readonly feedsA: Record<string, Tensor>;
  private readonly feedsB: Record<string, Tensor>;
  private readonly fetchesA: Record<string, Tensor>;
  private readonly fetchesB: Record<string, Tensor>;
  private flip = false;

  constructor(modelsDir: string) {
    this.session = new SyncSession(loadVerified(modelsDir, 'silero-vad').bytes);
    const input = floatTensor(this.input, [1, VAD_CONTEXT + VAD_CHUNK]);
    const sr = int64Tensor(new BigInt64Array([16000n]), []);
    const a = floatTensor(this.stateA, [2, 1, 128]);
    const b = floatTensor(this.stateB, [2, 1, 128]);
    const output = floatTensor(this.prob, [1, 1]);
    this.feedsA = { input, state: a, sr };
    this.fetchesA = { output, stateN: b };
    this.feedsB = { input, state: b, sr };
    this.fetchesB = { output, stateN: a };
  }

  reset(): void {
    this.input.fill(0);
    this.stateA.fill(0);
    this.stateB.fill(0);
    this.flip = false;
  }

  /** Speech probability of one 512-sample chunk (the 64-sample context is kept here). */
  process(chunk: Float32Array): number {
    this.input.copyWithin(0, VAD_CHUNK, VAD_CHUNK + VAD_CONTEXT);
    this.input.set(chunk, VAD_CONTEXT);
    if (this.flip) this.session.run(this.feedsB, this.fetchesB);
    else this.session.run(this.feedsA, this.fetchesA);
    this.flip = !this.flip;
    return this.prob[0];
  }

  dispose(): void {
    this.session.dispose();
  }
}
