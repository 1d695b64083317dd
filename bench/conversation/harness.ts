/**
 * A whole terminal in a simulated room, talking to the loopback cloud double: RoomDevice (the
 * acoustic double) → the real front-end → ConversationSession (engine, keeper, tools) → the real
 * adapters over a real socket → LoopbackCloud. Used by the bargein bench and the e2e tests.
 *
 * Time: the room is stepped from a wall-clock schedule at `speedup` × real time, yielding to the
 * event loop between steps so socket traffic interleaves as it would on a device. The double's
 * pacing is scaled by the same factor. Every frame, the DAC signal, the customer's clean speech
 * (room ground truth) and the front-end's decision are recorded for scoring.
 */

import type { RoomScenario } from '../../src/audio/room/index.js';
import { RoomDevice } from '../../src/audio/room/index.js';
import { GptLiveProvider } from '../../src/cloud/gpt-live/adapter.js';
import { LoopbackCloud, type LoopbackOptions } from '../../src/cloud/loopback/server.js';
import { OpenAIRealtimeProvider } from '../../src/cloud/openai-realtime/adapter.js';
import type { KeeperEvent } from '../../src/cloud/session-keeper.js';
import type { EngineTrace } from '../../src/conversation/engine.js';
import {
  type BargeInPolicy,
  DEFAULT_BARGE_IN,
  DEFAULT_TURN,
  type TurnPolicy,
} from '../../src/conversation/policy.js';
import { ConversationSession } from '../../src/conversation/session.js';
import type { FrontendProcessor } from '../../src/frontend/types.js';
import { Redactor } from '../../src/observability/redaction.js';
import { buildToolRunner, type ToolSetup } from '../../src/tools/setup.js';

export interface HarnessOptions {
  provider: 'openai-realtime' | 'gpt-live';
  frontend: FrontendProcessor;
  speedup: number;
  room: RoomScenario;
  auditDir: string;
  tools?: 'none' | 'drive-thru';
  loopback?: LoopbackOptions;
  bargeIn?: Partial<BargeInPolicy>;
  turn?: Partial<TurnPolicy>;
  /**
   * How long a spoken confirmation may take (wall ms, like the product's timer); default 20 s. A
   * caller that slows the world below real time (the arm64 emulation suite) stretches it alike, or
   * the question times out before the customer's answer has been spoken.
   */
  confirmTimeoutMs?: number;
  /** Session cap for rotation tests (wall ms); default 60 min. */
  capMs?: number;
  rotateMarginMs?: number;
  maxSeconds?: number;
}

const KEY = 'loopback-key';
export const SILENT = 1e-4;

export class ConversationHarness {
  readonly cloud: LoopbackCloud;
  readonly dev: RoomDevice;
  session!: ConversationSession;
  tools!: ToolSetup;
  readonly traces: Array<EngineTrace & { sample: number }> = [];
  readonly keeperEvents: Array<KeeperEvent & { sample: number }> = [];
  /** Per frame: the last non-silent sample's offset in the DAC frame (−1: silent). */
  readonly dacLast: Int16Array;
  /** Per frame: customer (ground truth) energy at the mic. */
  readonly nearEnergy: Float32Array;
  readonly echoEnergy: Float32Array;
  readonly nearEndLikely: Uint8Array;
  /** Per frame: the front-end's level onset (onsetLikely). */
  readonly onsetLikely: Uint8Array;
  /** Per frame: the device's playedSamples after it (the simulated DAC's own count). */
  readonly playedAt: Float64Array;
  frames = 0;
  private readonly F: number;
  private tickTimer?: NodeJS.Timeout;

  constructor(private readonly o: HarnessOptions) {
    const S = o.speedup;
    this.cloud = new LoopbackCloud({ apiKey: KEY, realtimePace: 4 * S, livePace: S, ...o.loopback });
    this.dev = new RoomDevice(o.room);
    const maxFrames = (o.maxSeconds ?? 600) * 100;
    this.dacLast = new Int16Array(maxFrames);
    this.nearEnergy = new Float32Array(maxFrames);
    this.echoEnergy = new Float32Array(maxFrames);
    this.nearEndLikely = new Uint8Array(maxFrames);
    this.onsetLikely = new Uint8Array(maxFrames);
    this.playedAt = new Float64Array(maxFrames);
    this.F = this.dev.config.frameSamples;
  }

  get rate(): number {
    return this.dev.config.rate;
  }

  /** Current capture sample index (start of the next frame). */
  get sample(): number {
    return this.frames * this.F;
  }

  async start(): Promise<void> {
    const baseUrl = await this.cloud.start();
    await this.dev.open();
    const o = this.o;
    const redactor = new Redactor();
    this.tools = buildToolRunner(
      {
        set: o.tools ?? 'drive-thru',
        default: 'deny',
        policies: {},
        timeoutMs: 2000,
        retries: 1,
        confirmTimeoutMs: o.confirmTimeoutMs ?? 20_000,
        audit: { dir: o.auditDir, maxBytes: 1 << 20, keepFiles: 3 },
      },
      {
        auditDir: o.auditDir,
        redact: (v) => redactor.redactDeep(v),
        reply: (id, out) => this.session.keeper.current?.sendToolResult(id, out),
        ask: (text) => this.session.keeper.current?.prompt(text),
      },
    );
    const endpoint = { baseUrl, auth: 'bearer' as const, apiKey: KEY, connectTimeoutMs: 3000 };
    this.session = new ConversationSession({
      device: this.dev,
      frontend: o.frontend,
      kind: o.provider,
      bargeIn: { ...DEFAULT_BARGE_IN, ...o.bargeIn },
      turn: { ...DEFAULT_TURN, ...o.turn },
      tools: this.tools.runner,
      keeper: {
        create: () =>
          o.provider === 'gpt-live'
            ? new GptLiveProvider({
                ...endpoint,
                model: 'gpt-live-1',
                voice: 'marin',
                rate: 16000,
                gapMs: Math.max(60, 300 / o.speedup),
              })
            : new OpenAIRealtimeProvider({
                ...endpoint,
                model: 'gpt-realtime',
                voice: 'marin',
                transcriptionModel: 'gpt-4o-mini-transcribe',
              }),
        instructions: 'You take drive-thru orders. Be brief.',
        tools: this.tools.specs,
        backoff: { initialMs: 100, maxMs: 2000 },
        capMs: o.capMs ?? 3_600_000,
        rotateMarginMs: o.rotateMarginMs ?? 180_000,
        hardMarginMs: 200,
        historyLines: 20,
      },
      onTrace: (t) => this.traces.push({ ...t, sample: this.sample }),
      onKeeperEvent: (e) => this.keeperEvents.push({ ...e, sample: this.sample }),
      onFrontendFrame: (f) => {
        if (this.frames < this.nearEndLikely.length) {
          this.nearEndLikely[this.frames] = f.nearEndLikely ? 1 : 0;
          this.onsetLikely[this.frames] = f.onsetLikely ? 1 : 0;
        }
      },
    });
    // Recording runs after the session's handler: it sees the frame the engine just acted on.
    this.dev.on('frame', (f) => this.record(f.ref));
    this.session.start();
    this.tickTimer = setInterval(() => this.session.tick(), 50);
    await this.until(() => this.session.keeper.current !== undefined, 5000);
  }

  private record(ref: Float32Array): void {
    const i = this.frames;
    if (i < this.dacLast.length) {
      let last = -1;
      for (let k = ref.length - 1; k >= 0; k--) {
        if (Math.abs(ref[k]) > SILENT) {
          last = k;
          break;
        }
      }
      this.dacLast[i] = last;
      const t = this.dev.truth;
      let ne = 0;
      let ee = 0;
      for (let k = 0; k < t.near.length; k++) {
        ne += t.near[k] * t.near[k];
        ee += t.echo[k] * t.echo[k];
      }
      this.nearEnergy[i] = ne / t.near.length;
      this.playedAt[i] = this.dev.playedSamples;
      this.echoEnergy[i] = ee / t.echo.length;
    }
    this.frames++;
  }

  /** The customer says `samples` (16 kHz float) starting `inMs` from now; returns its first sample index. */
  say(samples: Float32Array, inMs = 0): number {
    const start = this.sample + Math.round((inMs * this.rate) / 1000);
    const resolved = this.dev.resolved;
    if (!resolved) throw new Error('room not open');
    resolved.talkers.push({ name: `say@${start}`, samples, startSample: start });
    return start;
  }

  /** Step the room for `ms` of simulated time at speedup × real time. */
  async run(ms: number): Promise<void> {
    const frames = Math.ceil(ms / 10);
    const t0 = performance.now();
    let done = 0;
    while (done < frames) {
      const due = Math.min(frames, Math.floor(((performance.now() - t0) * this.o.speedup) / 10) + 1);
      while (done < due) {
        this.dev.step();
        done++;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Run until cond() holds (checked every frame batch) or maxMs of simulated time pass. */
  async until(cond: () => boolean, maxMs: number): Promise<boolean> {
    const end = this.frames + Math.ceil(maxMs / 10);
    while (!cond()) {
      if (this.frames >= end) return false;
      await this.run(20);
    }
    return true;
  }

  /** Agent audio audible at the DAC in frame i. */
  audible(i: number): boolean {
    return this.dacLast[i] >= 0;
  }

  async stop(): Promise<void> {
    clearInterval(this.tickTimer);
    await this.session.stop();
    await this.tools.audit.flush();
    await this.dev.close();
    await this.cloud.stop();
  }
}
