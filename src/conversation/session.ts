/**
 * ConversationSession: the glue between the audio device, the front-end, the duplex engine, the
 * session keeper (cloud) and the tool runner. Everything here is wiring; decisions live in the
 * engine (barge-in, turns), the keeper (connect, rotation) and the runner (tool policy).
 *
 * Per capture frame (synchronous, no await): front-end → engine.step → clean audio batched to the
 * provider. Per provider event: agent audio resampled to the device rate into the engine's queue
 * (tagged with the session generation, so a late delta of an old session can never play).
 */
import type { AudioDevice, FramePair } from '../audio/device.js';
import { Resampler } from '../audio/resample/polyphase.js';
import { floatToInt16, int16ToFloat } from '../cloud/pcm.js';
import type { InterruptInfo, RealtimeProvider } from '../cloud/provider.js';
import { type KeeperEvent, type KeeperOptions, SessionKeeper } from '../cloud/session-keeper.js';
import type { FrontendFrame, FrontendProcessor } from '../frontend/types.js';
import type { ToolRunner } from '../tools/runner.js';
import { type CloudPort, DuplexEngine, type EngineTrace } from './engine.js';
import type { BargeInPolicy, TurnPolicy } from './policy.js';

export interface ConversationSessionOptions {
  device: AudioDevice;
  frontend: FrontendProcessor;
  keeper: Omit<KeeperOptions, 'create'> & { create: () => RealtimeProvider };
  /** The provider kind decides turn-taking and the barge-in hold mode. */
  kind: 'openai-realtime' | 'gpt-live';
  bargeIn: BargeInPolicy;
  turn: TurnPolicy;
  tools?: ToolRunner;
  /** Mic audio is sent in batches of this many frames (fewer, larger messages). */
  sendEveryFrames?: number;
  onTrace?: (t: EngineTrace) => void;
  onKeeperEvent?: (e: KeeperEvent) => void;
  /** Every processed front-end frame (the offline flow listens to the same clean audio). */
  onFrontendFrame?: (f: FrontendFrame) => void;
}

export class ConversationSession {
  readonly engine: DuplexEngine;
  readonly keeper: SessionKeeper;
  /** False while the offline flow or the kill switch owns the terminal: nothing goes to or comes from the cloud. */
  cloudActive = true;
  private readonly rate: number;
  private readonly batch: Float32Array;
  private readonly pcmBatch: Int16Array;
  private batchFill = 0;
  /** Mic → provider rate (Realtime 24 kHz): the audio engine's polyphase resampler, into a reused buffer. */
  private up?: { r: Resampler; to: number; out: Float32Array; pcm: Int16Array };
  private down?: { r: Resampler; from: number };
  private readonly onFrame = (f: FramePair) => this.frame(f);
  private unsub?: () => void;
  readonly stats = { frames: 0, sentMs: 0, agentMs: 0, toolCalls: 0, ignoredEvents: 0, errors: 0 };

  constructor(private readonly o: ConversationSessionOptions) {
    this.rate = o.device.config.rate;
    this.batch = new Float32Array(o.device.config.frameSamples * (o.sendEveryFrames ?? 4));
    this.pcmBatch = new Int16Array(this.batch.length);
    this.keeper = new SessionKeeper(o.keeper);
    const port: CloudPort = {
      deviceDecidesTurns: o.kind === 'openai-realtime',
      holdMode: o.kind === 'gpt-live' ? 'duck' : 'pause',
      commitTurn: () => this.keeper.current?.commitTurn(),
      interrupt: (info) => this.interrupt(info),
    };
    this.engine = new DuplexEngine(o.device, port, {
      rate: this.rate,
      frameSamples: o.device.config.frameSamples,
      bargeIn: o.bargeIn,
      turn: o.turn,
      trace: (t) => o.onTrace?.(t),
    });
  }

  start(): void {
    this.unsub = this.keeper.on((e) => this.onKeeper(e));
    this.o.device.on('frame', this.onFrame);
    this.keeper.start();
  }

  async stop(): Promise<void> {
    this.o.device.off('frame', this.onFrame);
    clearTimeout(this.userTimer);
    this.unsub?.();
    this.o.tools?.cancelPending();
    await this.keeper.stop();
  }

  /** Called periodically: rotation happens only at a turn boundary (or at the hard margin). */
  tick(): void {
    this.keeper.tick(this.engine.atTurnBoundary && !(this.o.tools?.awaitingConfirmation ?? false));
  }

  setCloudActive(active: boolean): void {
    if (this.cloudActive === active) return;
    this.cloudActive = active;
    if (!active) this.engine.dropAll();
  }

  private frame(f: FramePair): void {
    this.stats.frames++;
    const fe = this.o.frontend.process(f.mic, f.ref, f.index);
    this.o.onFrontendFrame?.(fe);
    // Offline, the offline flow owns turns and the loudspeaker: the engine neither takes turns (so
    // nothing is committed to the dead session: a stale answer would arrive after recovery) nor
    // pauses or flushes the device. The front-end still runs: the offline flow uses its output.
    if (this.cloudActive) this.engine.step(fe);
    this.batch.set(fe.clean, this.batchFill);
    this.batchFill += fe.clean.length;
    if (this.batchFill < this.batch.length) return;
    this.batchFill = 0;
    const p = this.keeper.current;
    if (!p || !this.cloudActive) return;
    // Live wants input continuously (silence included); Realtime just gets the same stream.
    // The provider encodes synchronously (base64), so the int16 buffers are reused.
    if (p.inputRate === this.rate) p.sendAudio(floatToInt16(this.batch, this.pcmBatch));
    else {
      const up = this.resampleUp(p.inputRate);
      const n = up.r.process(this.batch, up.out);
      p.sendAudio(floatToInt16(up.out.subarray(0, n), up.pcm.subarray(0, n)));
    }
    this.stats.sentMs += (this.batch.length * 1000) / this.rate;
  }

  private resampleUp(to: number): NonNullable<ConversationSession['up']> {
    if (!this.up || this.up.to !== to) {
      const r = new Resampler(this.rate, to);
      const max = r.maxOutput(this.batch.length);
      this.up = { r, to, out: new Float32Array(max), pcm: new Int16Array(max) };
    }
    return this.up;
  }

  /** Agent audio → device rate; a fresh array per message (the engine's queue keeps it). */
  private resampleDown(from: number, input: Float32Array): Float32Array {
    if (!this.down || this.down.from !== from) this.down = { r: new Resampler(from, this.rate), from };
    const out = new Float32Array(this.down.r.maxOutput(input.length));
    return out.subarray(0, this.down.r.process(input, out));
  }

  private userDeltas = '';
  private userTimer?: NodeJS.Timeout;

  /** Live streams the customer's words as deltas: hand them on as one answer once they pause. */
  private collectUserDelta(text: string, session: string): void {
    this.userDeltas += text;
    clearTimeout(this.userTimer);
    this.userTimer = setTimeout(() => {
      const said = this.userDeltas;
      this.userDeltas = '';
      this.o.tools?.onCustomerSaid(said, session);
    }, 300);
  }

  private interrupt(info: InterruptInfo): void {
    const [gen, ...rest] = info.responseId.split(':');
    if (Number(gen) !== this.keeper.currentGeneration) return; // a response of a session that is gone
    this.keeper.current?.interrupt({ ...info, responseId: rest.join(':') });
  }

  private onKeeper(e: KeeperEvent): void {
    this.o.onKeeperEvent?.(e);
    const tag = (id: string) => `${e.generation}:${id}`;
    switch (e.type) {
      case 'link':
        // A new or lost session: whatever the old one said must not play on.
        this.engine.dropAll();
        this.down?.r.reset();
        this.up?.r.reset();
        if (!e.up) this.o.tools?.cancelPending();
        return;
      case 'audio': {
        if (!this.cloudActive) return;
        const p = this.keeper.current;
        const from = p?.outputRate ?? this.rate;
        const f = int16ToFloat(e.pcm);
        const samples = from === this.rate ? f : this.resampleDown(from, f);
        this.stats.agentMs += (samples.length * 1000) / this.rate;
        this.engine.agentAudio(tag(e.responseId), samples);
        return;
      }
      case 'response.done':
        this.engine.responseDone(tag(e.responseId));
        return;
      case 'tool.call':
        this.stats.toolCalls++;
        if (!this.o.tools) {
          this.keeper.current?.sendToolResult(
            e.callId,
            JSON.stringify({ ok: false, error: 'no tools on this terminal' }),
          );
          return;
        }
        void this.o.tools.handle(
          { callId: e.callId, name: e.name, arguments: e.arguments },
          String(e.generation),
        );
        return;
      case 'transcript':
        if (e.role !== 'user') return;
        if (e.final) this.o.tools?.onCustomerSaid(e.text, String(e.generation));
        else this.collectUserDelta(e.text, String(e.generation));
        return;
      case 'ignored':
        this.stats.ignoredEvents++;
        return;
      case 'error':
        this.stats.errors++;
        return;
      default:
        return;
    }
  }
}
