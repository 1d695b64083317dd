/**
 * A stand-in barge-in detector for when no echo canceller runs (no front-end component, or it
 * failed): a Geigel-style double-talk test. While our prompt plays, the mic carries its echo at
 * some level relative to the reference; the customer talking lifts the mic well above that. We
 * learn the echo coupling (mic power / recent reference power) on frames judged echo-only and call
 * "near end" when the mic exceeds coupling × reference by `marginDb` for `onsetFrames` in a row.
 *
 * It also decides what the recogniser hears: with no canceller, feeding it our own prompt would
 * make it "answer" for the customer ("…talk to a crew member?" contains an answer). So frames with
 * the far end active and no near-end speech are not passed on at all (`hasFeed` false). Not as
 * zeros, not as comfort noise: pocketsphinx adapts its noise and cepstral-mean estimates to what it
 * is fed, and after seconds of digital silence or white noise it decoded "talk to a person" as
 * "pardon"; skipping the frames splices room noise to room noise, which it handles. To keep the start of a
 * barge-in, the feed runs `lookaheadFrames` behind the mic and the decision is taken with that
 * look-ahead. When the front-end exists, its echo-cancelled `clean` signal and `nearEndLikely`
 * replace all this (OfflineComponent.feedCleanFrame).
 *
 * All state is preallocated: process() allocates nothing.
 */

export interface EchoGateOptions {
  frameSamples: number;
  /** How far above the echo estimate the mic must be to count as the customer (default 12 dB). */
  marginDb?: number;
  onsetFrames?: number;
  releaseFrames?: number;
  lookaheadFrames?: number;
  /** Mic power below this (≈ −50 dBFS) is never speech. */
  floorPower?: number;
}

const REF_HISTORY = 20; // 200 ms of reference power: covers the acoustic + buffering delay

export class EchoGate {
  private readonly margin: number;
  private readonly onset: number;
  private readonly release: number;
  private readonly lookahead: number;
  private readonly floor: number;
  private readonly refPow = new Float32Array(REF_HISTORY);
  private refPos = 0;
  private coupling = 1; // start conservative: echo as loud as the reference
  private learned = 0;
  private run = 0;
  private quiet = 0;
  private near = false;
  private nearSince = -1;
  private frameNo = 0;
  private readonly delay: Float32Array[];
  private readonly delayFar: Uint8Array;
  private readonly delayNear: Uint8Array;
  /** The frame to hand to the recogniser after process(), valid when `hasFeed`; owned here, reused. */
  readonly feed: Float32Array;
  /** False when this step's delayed frame holds only our own prompt (or the delay is filling). */
  hasFeed = false;
  /** The reference carried sound within the last 200 ms (our own speech may be in the room). */
  farActive = false;
  /** True on the frame where near-end speech started (a barge-in candidate). */
  speechStart = false;

  constructor(o: EchoGateOptions) {
    this.margin = 10 ** ((o.marginDb ?? 12) / 10);
    this.onset = o.onsetFrames ?? 5;
    this.release = o.releaseFrames ?? 30;
    this.lookahead = o.lookaheadFrames ?? 15;
    this.floor = o.floorPower ?? 1e-5;
    this.delay = Array.from({ length: this.lookahead + 1 }, () => new Float32Array(o.frameSamples));
    this.delayFar = new Uint8Array(this.lookahead + 1);
    this.delayNear = new Uint8Array(this.lookahead + 1);
    this.feed = new Float32Array(o.frameSamples);
  }

  get nearEnd(): boolean {
    return this.near;
  }
  get couplingDb(): number {
    return 10 * Math.log10(this.coupling);
  }

  /** One 10 ms frame pair in; updates nearEnd/speechStart and fills `feed`. */
  process(mic: Float32Array, ref: Float32Array): void {
    let pm = 0;
    let pr = 0;
    for (let i = 0; i < mic.length; i++) {
      pm += mic[i] * mic[i];
      pr += ref[i] * ref[i];
    }
    pm /= mic.length;
    pr /= ref.length;
    this.refPow[this.refPos] = pr;
    this.refPos = (this.refPos + 1) % REF_HISTORY;
    let refMax = 0;
    for (let i = 0; i < REF_HISTORY; i++) if (this.refPow[i] > refMax) refMax = this.refPow[i];
    const farActive = refMax > 1e-7;
    this.farActive = farActive;
    const echo = this.coupling * refMax;
    const candidate = pm > this.floor && (!farActive || pm > this.margin * echo);
    if (farActive && !candidate && pr > 1e-7 && pm > 0) {
      // Learn fast at first, then slowly; in the log domain so one loud frame cannot dominate.
      const a = this.learned < 50 ? 0.2 : 0.03;
      this.learned++;
      const ratio = Math.min(10, Math.max(1e-6, pm / refMax));
      this.coupling = Math.exp((1 - a) * Math.log(this.coupling) + a * Math.log(ratio));
    }
    this.speechStart = false;
    if (candidate) {
      this.quiet = 0;
      if (++this.run >= this.onset && !this.near) {
        this.near = true;
        this.speechStart = true;
        this.nearSince = this.frameNo;
      }
    } else {
      this.run = 0;
      if (this.near && ++this.quiet >= this.release) this.near = false;
    }
    this.shift(mic, farActive);
  }

  /**
   * The same gating on audio that is already echo-cancelled, with someone else's near-end decision
   * (the front-end's `nearEndLikely`). A canceller leaves residual echo, still enough for the decoder
   * to "hear" an answer in our own prompt, so while we speak only near-end speech passes.
   */
  gate(clean: Float32Array, farActive: boolean, nearEnd: boolean): void {
    this.speechStart = nearEnd && !this.near;
    if (this.speechStart) this.nearSince = this.frameNo;
    this.near = nearEnd;
    this.shift(clean, farActive);
  }

  /** Delay line: the frame leaving now was captured `lookahead` frames ago. */
  private shift(mic: Float32Array, farActive: boolean): void {
    const slot = this.frameNo % (this.lookahead + 1);
    this.delay[slot].set(mic);
    this.delayFar[slot] = farActive ? 1 : 0;
    this.delayNear[slot] = this.near ? 1 : 0;
    const out = (this.frameNo + 1) % (this.lookahead + 1);
    const outFrameNo = this.frameNo - this.lookahead;
    // Pass: nothing of ours was playing, or it was captured while the customer spoke, or it lies
    // within the look-ahead before the onset (the first syllable).
    const keep =
      this.delayFar[out] === 0 ||
      this.delayNear[out] === 1 ||
      (this.near && outFrameNo >= this.nearSince - this.lookahead);
    this.hasFeed = outFrameNo >= 0 && keep;
    if (this.hasFeed) this.feed.set(this.delay[out]);
    this.frameNo++;
  }
}
