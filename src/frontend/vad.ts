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
  /** peek(): its own window and output, and a scratch state it writes (the stream's state is untouched). */
  private readonly peekInput = new Float32Array(VAD_CONTEXT + VAD_CHUNK);
  private readonly peekProb = new Float32Array(1);
  private readonly peekFeedsA: Record<string, Tensor>;
  private readonly peekFeedsB: Record<string, Tensor>;
  private readonly peekFetches: Record<string, Tensor>;
  /** renew(): a second state, started from zero, that listens beside the stream until it takes over. */
  private readonly stateC = new Float32Array(2 * 128);
  private readonly stateD = new Float32Array(2 * 128);
  private readonly shadowProb = new Float32Array(1);
  private readonly feedsC: Record<string, Tensor>;
  private readonly feedsD: Record<string, Tensor>;
  private readonly fetchesC: Record<string, Tensor>;
  private readonly fetchesD: Record<string, Tensor>;
  private shadowFlip = false;
  /** Chunks the renewing state still listens before it takes over (0: no renewal under way). */
  private shadowLeft = 0;

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
    const peekInput = floatTensor(this.peekInput, [1, VAD_CONTEXT + VAD_CHUNK]);
    this.peekFeedsA = { input: peekInput, state: a, sr };
    this.peekFeedsB = { input: peekInput, state: b, sr };
    this.peekFetches = {
      output: floatTensor(this.peekProb, [1, 1]),
      stateN: floatTensor(new Float32Array(2 * 128), [2, 1, 128]),
    };
    const c = floatTensor(this.stateC, [2, 1, 128]);
    const d = floatTensor(this.stateD, [2, 1, 128]);
    const shadowOut = floatTensor(this.shadowProb, [1, 1]);
    this.feedsC = { input, state: c, sr };
    this.fetchesC = { output: shadowOut, stateN: d };
    this.feedsD = { input, state: d, sr };
    this.fetchesD = { output: shadowOut, stateN: c };
  }

  reset(): void {
    this.input.fill(0);
    this.stateA.fill(0);
    this.stateB.fill(0);
    this.flip = false;
    this.shadowLeft = 0;
  }

  /**
   * Start the stream's memory afresh without a cold start: a state from zero listens beside the
   * stream for `warmChunks` chunks, then replaces the stream's. Streaming on for long, Silero's state
   * drifts and the model goes deaf to onsets (snakers4/silero-vad issue 725); a plain reset to zero
   * cures that but leaves it deaf for its first chunks instead — a customer who starts then is
   * heard hundreds of ms late. The renewal costs warmChunks extra Silero runs.
   */
  renew(warmChunks: number): void {
    this.stateC.fill(0);
    this.stateD.fill(0);
    this.shadowFlip = false;
    this.shadowLeft = Math.max(1, warmChunks);
  }

  /** Speech probability of one 512-sample chunk (the 64-sample context is kept here). */
  process(chunk: Float32Array): number {
    this.input.copyWithin(0, VAD_CHUNK, VAD_CHUNK + VAD_CONTEXT);
    this.input.set(chunk, VAD_CONTEXT);
    if (this.flip) this.session.run(this.feedsB, this.fetchesB);
    else this.session.run(this.feedsA, this.fetchesA);
    this.flip = !this.flip;
    if (this.shadowLeft > 0) {
      if (this.shadowFlip) this.session.run(this.feedsD, this.fetchesD);
      else this.session.run(this.feedsC, this.fetchesC);
      this.shadowFlip = !this.shadowFlip;
      // warm: the renewed state becomes the one the next chunk reads (B after an A→B run, else A)
      if (--this.shadowLeft === 0)
        (this.flip ? this.stateB : this.stateA).set(this.shadowFlip ? this.stateD : this.stateC);
    }
    return this.prob[0];
  }

  /**
   * Speech probability of the 512 samples that end *now*, between two chunks (`window` holds the 64
   * context samples first, then those 512): the stream's state after its last chunk is the model's
   * memory, and nothing of the stream changes — the next process() goes on as if there had been no
   * peek. The pipeline peeks half a chunk after a chunk, so a start can come ~16 ms before the next one.
   */
  peek(window: Float32Array): number {
    this.peekInput.set(window);
    // after process() the state it wrote is B when flip is set (it read A), else A
    this.session.run(this.flip ? this.peekFeedsB : this.peekFeedsA, this.peekFetches);
    return this.peekProb[0];
  }

  dispose(): void {
    this.session.dispose();
  }
}
