/**
 * DuplexEngine: the conversation's state machine. No I/O of its own: it drives a PlaybackDevice
 * (the AudioDevice's playback half) and a CloudPort (commit / interrupt), and is stepped once per
 * capture frame with the front-end's echo-aware signal. Deterministic: time is the frame count.
 *
 * Agent states:  idle ──audio──▶ playing ──onset/near-end──▶ held ──decision + confirmMs of speech──▶ stopped(idle)
 *                                    ▲                         │
 *                                    └──released (silence releaseMs or soundReleaseMs / maxPauseMs)──┘
 *  held = paused (Realtime: the device fades out within a period; position held) or ducked (Live:
 *  the model decides whether to yield; we play on quietly). Confirmed: flush, then Realtime
 *  cancels + truncates to what reached the DAC, Live is told what was not heard.
 *
 * Why pause first and decide later: the pause is reversible and costs nothing, so it can happen on
 * the first frame the front-end flags — its per-frame level onset, 60–150 ms before its confirmed
 * (chunked, echo-aware) decision — for a reaction within a period or two; the expensive,
 * irreversible part (dropping the reply) waits for the confirmed decision and for speech that has
 * outlasted a backchannel.
 */
import type { InterruptInfo } from '../cloud/provider.js';
import { AgentQueue } from './agent-queue.js';
import type { BargeInPolicy, NearEndSignal, TurnPolicy } from './policy.js';

export interface PlaybackDevice {
  write(samples: Float32Array): number;
  pause(): void;
  resume(): void;
  flush(): number;
  readonly playedSamples: number;
}

export interface CloudPort {
  readonly deviceDecidesTurns: boolean;
  /** 'pause' (Realtime: stop now, truncate later) or 'duck' (Live: the model decides). */
  readonly holdMode: 'pause' | 'duck';
  commitTurn(): void;
  interrupt(info: InterruptInfo): void;
}

export type EngineTrace =
  | { type: 'agent.first_audio'; frame: number; responseId: string }
  | { type: 'agent.done'; frame: number; responseId: string }
  | {
      type: 'bargein.candidate';
      frame: number;
      responseId: string;
      /** What paused: the front-end's level onset, its confirmed decision, or an early VAD path. */
      by: 'onset' | 'decision' | 'vad';
    }
  | { type: 'bargein.confirmed'; frame: number; responseId: string; playedMs: number; receivedMs: number }
  | { type: 'bargein.released'; frame: number; kind: 'backchannel' | 'false'; heldMs: number }
  | { type: 'turn.end'; frame: number; lastSpeechFrame: number; committed: boolean };

export type AgentState = 'idle' | 'playing' | 'held';

export interface EngineOptions {
  rate: number;
  frameSamples: number;
  bargeIn: BargeInPolicy;
  turn: TurnPolicy;
  trace?: (t: EngineTrace) => void;
}

export class DuplexEngine {
  private readonly queue = new AgentQueue();
  private readonly scratch: Float32Array;
  private readonly frameMs: number;
  private readonly aheadSamples: number;
  private frame = 0;
  state: AgentState = 'idle';
  /** The response being played (or last played). */
  private playing?: string;
  private readonly dropped = new Set<string>();
  private firstAudioSent = new Set<string>();
  // barge-in candidate
  private onsetRun = 0;
  /**
   * A new candidate needs the front-end's decision to have gone quiet since the last release: its
   * hangover (or a burst of residual echo as playback restarts) must not re-pause at once.
   */
  private armed = true;
  private heldAt = 0;
  private heldSpeech = 0;
  private heldSilence = 0;
  /** The front-end's confirmed decision said "speaking" during this hold. */
  private heldDecided = false;
  /** The VAD heard speech during this hold. */
  private heldVoiced = false;
  // customer turn
  private inTurn = false;
  private turnSpeech = 0;
  private turnSilence = 0;
  private lastSpeechFrame = 0;
  /** Turn committed, reply not yet audible. */
  awaitingReply = false;

  constructor(
    private readonly device: PlaybackDevice,
    private readonly cloud: CloudPort,
    private readonly o: EngineOptions,
  ) {
    this.frameMs = (o.frameSamples * 1000) / o.rate;
    this.aheadSamples = Math.max(o.frameSamples, Math.round((o.turn.deviceAheadMs * o.rate) / 1000));
    this.scratch = new Float32Array(o.frameSamples);
  }

  private ms(frames: number): number {
    return frames * this.frameMs;
  }

  // ---- provider side ----

  /** Agent audio at the device rate (the engine keeps the array). Audio of a dropped response is ignored. */
  agentAudio(responseId: string, samples: Float32Array): void {
    if (this.dropped.has(responseId)) return;
    this.queue.push(responseId, samples);
    if (this.state === 'idle') {
      this.state = 'playing';
      this.playing = responseId;
    }
  }

  responseDone(responseId: string): void {
    this.queue.markDone(responseId);
  }

  /** The link went down or the session was replaced: nothing of it may play later. */
  dropAll(): void {
    this.awaitingReply = false;
    this.inTurn = false;
    this.turnSpeech = this.turnSilence = 0;
    // Nothing of ours queued or playing: leave the device alone. The offline flow speaks through the
    // same device, and a session replaced while it talks must not cut its prompt.
    if (this.state === 'idle' && this.queue.pending === 0) return;
    const played = this.device.playedSamples;
    this.queue.flushed(this.device.flush(), played);
    if (this.state === 'held' && this.cloud.holdMode === 'pause') this.device.resume();
    if (this.playing) this.dropped.add(this.playing);
    this.state = 'idle';
  }

  /** Samples of a response received and played so far (for traces and benches). */
  playback(responseId: string): { received: number; played: number } | undefined {
    const r = this.queue.response(responseId);
    return r && { received: r.received, played: this.queue.playedOf(responseId, this.device.playedSamples) };
  }

  /** Nobody talks, nothing plays, no reply pending: a session may be rotated now. */
  get atTurnBoundary(): boolean {
    return this.state === 'idle' && !this.inTurn && !this.awaitingReply && this.queue.pending === 0;
  }

  // ---- per capture frame ----

  step(signal: NearEndSignal): void {
    this.frame++;
    const near = signal.nearEndLikely;
    const onset = signal.onsetLikely === true;
    // Onset: the front-end's per-frame level onset or its confirmed decision (whichever is first).
    // Duration: only frames that are still speech by the VAD, so the decision's hangover does not
    // lengthen a backchannel.
    const p = this.o.bargeIn;
    // While paused nothing plays, so the VAD alone is trusted (the echo-aware decision may lag the
    // early onset by a chunk or two, and must not make a real interruption look like silence);
    // while ducked the agent still plays, so the decision must agree.
    const vad = signal.speechProb >= p.speechProbMin;
    const talking = this.cloud.holdMode === 'pause' ? vad : near && vad;
    const early =
      onset ||
      (p.onsetOnDoubleTalk && signal.doubleTalk === true && signal.speechProb >= p.speechProbMin) ||
      (p.onsetProb > 0 && signal.speechProb >= p.onsetProb);
    if (this.state === 'playing')
      this.watchOnset(near ? 'decision' : onset ? 'onset' : early ? 'vad' : undefined);
    else if (this.state === 'held') this.watchHeld(talking, near, onset);
    this.trackTurn(near, talking);
    this.feed();
  }

  /** by: what says "near end" this frame (undefined: nothing). */
  private watchOnset(by: 'onset' | 'decision' | 'vad' | undefined): void {
    if (!by) {
      this.armed = true;
      this.onsetRun = 0;
      return;
    }
    if (!this.armed) return;
    if (++this.onsetRun < this.o.bargeIn.onsetFrames) return;
    this.onsetRun = 0;
    this.state = 'held';
    this.heldAt = this.frame;
    this.heldSpeech = this.o.bargeIn.onsetFrames;
    this.heldSilence = 0;
    this.heldDecided = false;
    this.heldVoiced = false;
    if (this.cloud.holdMode === 'pause') this.device.pause();
    this.o.trace?.({ type: 'bargein.candidate', frame: this.frame, responseId: this.playing ?? '', by });
  }

  /**
   * talking: VAD speech (decision-gated while ducked); decided: the front-end's confirmed speech
   * start; onset: level evidence of near-end sound this frame.
   */
  private watchHeld(talking: boolean, decided: boolean, onset: boolean): void {
    if (decided) this.heldDecided = true;
    if (talking) {
      this.heldSpeech++;
      this.heldVoiced = true;
      this.heldSilence = 0;
    } else if (onset) {
      // sound, not (yet) speech by the VAD: neither lengthens the speech nor counts as silence
      this.heldSilence = 0;
    } else this.heldSilence++;
    const p = this.o.bargeIn;
    // A stop needs the front-end's confirmed decision (not the level onset, not the VAD alone:
    // a cough, a horn, babble) and speech longer than a backchannel.
    if (this.heldDecided && this.ms(this.heldSpeech) >= p.confirmMs) {
      this.confirm();
      return;
    }
    const heldMs = this.ms(this.frame - this.heldAt);
    // A pause on levels alone that no speech followed (an echo burst, a click) ends sooner.
    const releaseMs = this.heldVoiced || this.heldDecided ? p.releaseMs : p.soundReleaseMs;
    if (this.ms(this.heldSilence) >= releaseMs || heldMs >= p.maxPauseMs) {
      if (this.cloud.holdMode === 'pause') this.device.resume();
      this.state = 'playing';
      this.armed = false;
      const kind = this.ms(this.heldSpeech) >= p.backchannelMinMs ? 'backchannel' : 'false';
      this.o.trace?.({ type: 'bargein.released', frame: this.frame, kind, heldMs });
    }
  }

  private confirm(): void {
    const id = this.queue.atDac(this.device.playedSamples) ?? this.playing ?? '';
    // Position first (the device is paused or ducked: it holds), then drop what is queued.
    const played = this.device.playedSamples;
    const playedSamples = this.queue.playedOf(id, played);
    const r = this.queue.response(id);
    this.queue.flushed(this.device.flush(), played);
    if (this.cloud.holdMode === 'pause') this.device.resume(); // the queue is empty: resume only re-arms
    this.dropped.add(id);
    if (this.dropped.size > 32) this.dropped.delete(this.dropped.values().next().value as string);
    this.state = 'idle';
    const info: InterruptInfo = {
      responseId: id,
      playedMs: (playedSamples * 1000) / this.o.rate,
      receivedMs: ((r?.received ?? 0) * 1000) / this.o.rate,
    };
    this.cloud.interrupt(info);
    this.o.trace?.({
      type: 'bargein.confirmed',
      frame: this.frame,
      responseId: id,
      playedMs: info.playedMs,
      receivedMs: info.receivedMs,
    });
    // The interruption is the start of the customer's turn.
    this.inTurn = true;
    this.turnSpeech = this.heldSpeech;
    this.turnSilence = 0;
    this.awaitingReply = false;
  }

  /** Customer turns: start when the customer speaks while the agent is silent (or after a confirmed barge-in). */
  private trackTurn(near: boolean, talking: boolean): void {
    if (!this.inTurn) {
      if (near && this.state === 'idle') {
        this.inTurn = true;
        this.turnSpeech = 1;
        this.turnSilence = 0;
        this.lastSpeechFrame = this.frame;
      }
      return;
    }
    if (talking) {
      this.turnSpeech++;
      this.turnSilence = 0;
      this.lastSpeechFrame = this.frame;
      return;
    }
    this.turnSilence++;
    if (this.ms(this.turnSilence) < this.o.turn.endOfTurnMs) return;
    this.inTurn = false;
    const committed = this.ms(this.turnSpeech) >= this.o.turn.minTurnMs;
    // Realtime: we ask for the answer, so one is due. Live: the model may answer (perhaps already
    // does) or not; nothing is awaited.
    if (committed && this.cloud.deviceDecidesTurns) {
      this.cloud.commitTurn();
      this.awaitingReply = true;
    }
    this.o.trace?.({ type: 'turn.end', frame: this.frame, lastSpeechFrame: this.lastSpeechFrame, committed });
  }

  /** Keep the device `aheadSamples` ahead of the DAC; ducked while a Live candidate is pending. */
  private feed(): void {
    if (this.state === 'idle') return;
    const played = this.device.playedSamples;
    const gain = this.state === 'held' && this.cloud.holdMode === 'duck' ? this.o.bargeIn.duckGain : 1;
    if (!(this.state === 'held' && this.cloud.holdMode === 'pause')) {
      let room = this.aheadSamples - this.queue.deviceQueued(played);
      while (room > 0 && this.queue.pending > 0) {
        const n = this.queue.take(
          this.scratch.length > room ? this.scratch.subarray(0, room) : this.scratch,
          gain,
        );
        if (n === 0) break;
        const accepted = this.device.write(
          n === this.scratch.length ? this.scratch : this.scratch.subarray(0, n),
        );
        this.queue.commit(accepted);
        if (accepted < n) break;
        room -= accepted;
        this.noteFirstAudio();
      }
    }
    if (this.state === 'playing' && this.queue.idle(this.device.playedSamples)) {
      this.state = 'idle';
      this.o.trace?.({ type: 'agent.done', frame: this.frame, responseId: this.playing ?? '' });
    }
  }

  private noteFirstAudio(): void {
    const id = this.queue.lastWritten;
    if (id) this.playing = id;
    if (id && !this.firstAudioSent.has(id)) {
      this.firstAudioSent.add(id);
      if (this.firstAudioSent.size > 32)
        this.firstAudioSent.delete(this.firstAudioSent.values().next().value as string);
      this.awaitingReply = false;
      this.o.trace?.({ type: 'agent.first_audio', frame: this.frame, responseId: id });
    }
  }
}
