/**
 * Silero VAD v6 (models/silero_vad_v6.onnx, from @ricky0123/vad-web, MIT) at 16 kHz: 512-sample
 * chunks, each preceded by the last 64 samples of the previous chunk (v6 barely fires without that
 * context). The recurrent state ping-pongs between two preallocated tensors.
 */
import { loadVerified } from './models.js';
import { floatTensor, int64Tensor, SyncSession, type Tensor } from './ort.js';

export const VAD_CHUNK = 512;
export const VAD_CONTEXT = 64;

const STATE_SIZE = 2 * 128;
const STATE_DIMS = [2, 1, 128];

/** One recurrent state of the model: two preallocated tensors, each run reads one and writes the other. */
class PingPongState {
  private readonly a = new Float32Array(STATE_SIZE);
  private readonly b = new Float32Array(STATE_SIZE);
  private readonly tensorA = floatTensor(this.a, STATE_DIMS);
  private readonly tensorB = floatTensor(this.b, STATE_DIMS);
  private readonly feeds: [Record<string, Tensor>, Record<string, Tensor>];
  private readonly fetches: [Record<string, Tensor>, Record<string, Tensor>];
  /** Which of the two the next run reads (0: a, 1: b). */
  private reads: 0 | 1 = 0;

  constructor(input: Tensor, sr: Tensor, output: Tensor) {
    this.feeds = [
      { input, state: this.tensorA, sr },
      { input, state: this.tensorB, sr },
    ];
    this.fetches = [
      { output, stateN: this.tensorB },
      { output, stateN: this.tensorA },
    ];
  }

  /** One chunk through the model (the input tensor holds it); the state advances. */
  step(session: SyncSession): void {
    session.run(this.feeds[this.reads], this.fetches[this.reads]);
    this.reads = this.reads === 0 ? 1 : 0;
  }

  /** The state the next step reads: the stream's memory now. */
  get current(): Float32Array {
    return this.reads === 0 ? this.a : this.b;
  }

  get currentTensor(): Tensor {
    return this.reads === 0 ? this.tensorA : this.tensorB;
  }

  copyFrom(other: PingPongState): void {
    this.current.set(other.current);
  }

  reset(): void {
    this.a.fill(0);
    this.b.fill(0);
    this.reads = 0;
  }
}

export class SileroVad {
  private readonly session: SyncSession;
  private readonly input = new Float32Array(VAD_CONTEXT + VAD_CHUNK);
  private readonly prob = new Float32Array(1);
  private readonly sr = int64Tensor(new BigInt64Array([16000n]), []);
  private readonly stream: PingPongState;
  /** renew(): a second state, started from zero, that listens beside the stream until it takes over. */
  private readonly renewing: PingPongState;
  /** Chunks the renewing state still listens before it takes over (0: no renewal under way). */
  private renewLeft = 0;
  /** peek(): its own window and output, and a scratch state it writes (the stream's state is untouched). */
  private readonly peekInput = new Float32Array(VAD_CONTEXT + VAD_CHUNK);
  private readonly peekProb = new Float32Array(1);
  private readonly peekFeeds: Record<string, Tensor>;
  private readonly peekFetches: Record<string, Tensor>;

  constructor(modelsDir: string) {
    this.session = new SyncSession(loadVerified(modelsDir, 'silero-vad').bytes);
    const input = floatTensor(this.input, [1, VAD_CONTEXT + VAD_CHUNK]);
    this.stream = new PingPongState(input, this.sr, floatTensor(this.prob, [1, 1]));
    this.renewing = new PingPongState(input, this.sr, floatTensor(new Float32Array(1), [1, 1]));
    this.peekFeeds = { input: floatTensor(this.peekInput, [1, VAD_CONTEXT + VAD_CHUNK]), sr: this.sr };
    this.peekFetches = {
      output: floatTensor(this.peekProb, [1, 1]),
      stateN: floatTensor(new Float32Array(STATE_SIZE), STATE_DIMS),
    };
  }

  reset(): void {
    this.input.fill(0);
    this.stream.reset();
    this.renewLeft = 0;
  }

  /**
   * Start the stream's memory afresh without a cold start: a state from zero listens beside the
   * stream for `warmChunks` chunks, then replaces the stream's. Streaming on for long, Silero's state
   * drifts and the model goes deaf to onsets (snakers4/silero-vad issue 725); a plain reset to zero
   * cures that but leaves it deaf for its first chunks instead — a customer who starts then is
   * heard hundreds of ms late. The renewal costs warmChunks extra Silero runs.
   */
  renew(warmChunks: number): void {
    this.renewing.reset();
    this.renewLeft = Math.max(1, warmChunks);
  }

  /** Speech probability of one 512-sample chunk (the 64-sample context is kept here). */
  process(chunk: Float32Array): number {
    this.input.copyWithin(0, VAD_CHUNK, VAD_CHUNK + VAD_CONTEXT);
    this.input.set(chunk, VAD_CONTEXT);
    this.stream.step(this.session);
    if (this.renewLeft > 0) {
      this.renewing.step(this.session);
      // warm: the renewed state becomes the one the stream's next chunk reads
      if (--this.renewLeft === 0) this.stream.copyFrom(this.renewing);
    }
    return this.prob[0];
  }

  /**
   * Speech probability of the 512 samples that end *now*, between two chunks: the tail of the
   * `previous` chunk (from sample `fill`, with the 64 before it as context) followed by the first
   * `fill` samples of the chunk being filled (`current`). The stream's state after its last chunk is
   * the model's memory, and nothing of the stream changes — the next process() goes on as if there
   * had been no peek. `fill` must be at least the 64 context samples.
   */
  peek(previous: Float32Array, current: Float32Array, fill: number): number {
    const w = this.peekInput;
    const tail = VAD_CHUNK - fill;
    for (let i = 0; i < VAD_CONTEXT + tail; i++) w[i] = previous[fill - VAD_CONTEXT + i];
    for (let i = 0; i < fill; i++) w[VAD_CONTEXT + tail + i] = current[i];
    this.peekFeeds.state = this.stream.currentTensor;
    this.session.run(this.peekFeeds, this.peekFetches);
    return this.peekProb[0];
  }

  dispose(): void {
    this.session.dispose();
  }
}
