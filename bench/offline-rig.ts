/**
 * The offline fallback wired end to end with the allowed doubles only: a paced room simulator
 * (RoomDevice) as the acoustic world, the loopback cloud double behind the real OpenAI Realtime
 * adapter, and the real OfflineComponent (pocketsphinx, espeak-ng, kill switch file) under a real
 * Supervisor. Used by the offline e2e/integration tests and by `npm run bench -- offline`.
 *
 * The rig plays the part the duplex engine will play once it is wired to the offline component:
 * it commits turns on the provider, plays cloud audio into the room, and holds the conversation
 * lock while a person is being served.
 */
import { Writable } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { int16ToFloat } from '../src/audio/pcm.js';
import { resampleSignal } from '../src/audio/resample/polyphase.js';
import { RoomDevice } from '../src/audio/room/index.js';
import { LoopbackCloud } from '../src/cloud/loopback/server.js';
import { OpenAIRealtimeProvider } from '../src/cloud/openai-realtime/adapter.js';
import type { HistoryLine, ProviderEvent, RealtimeProvider } from '../src/cloud/provider.js';
import { validateConfig } from '../src/config/load.js';
import { LoggerFactory } from '../src/observability/logger.js';
import { MetricsRegistry } from '../src/observability/metrics.js';
import { DEFAULT_FLOWS } from '../src/offline/default-flows.js';
import { OfflineComponent } from '../src/offline/offline-component.js';
import { watchProvider } from '../src/offline/provider-watch.js';
import '../src/offline/events.js';
import { type BusEvents, EventBus } from '../src/supervisor/bus.js';
import { Supervisor } from '../src/supervisor/supervisor.js';
import { scaled, TIME_SCALE } from '../test/helpers/time-scale.js';

export interface RigOptions {
  stateDir: string;
  /** Extra config (merged shallowly into the `offline` section). */
  offline?: Record<string, unknown>;
  /** Delay every server → client message by this (a slow cloud), ms. */
  slowMs?: number;
  /**
   * Run the real conversation component too (front-end, duplex engine, session keeper) against the
   * loopback double: turns are then taken by the engine from speech in the room, not by commitTurn().
   */
  withConversation?: boolean;
}

/**
 * Under arm64 emulation (VOICETERM_TEST_TIME_SCALE > 1) the link-health thresholds stretch like every
 * other wait, or a slow emulated event loop reads as a dead or too-slow link. Natively: nothing set,
 * the product's defaults (src/config/sections/offline.ts) apply; clamped to the schema's maxima.
 */
function emulatedLink(): Record<string, number> {
  if (TIME_SCALE === 1) return {};
  return {
    pingIntervalMs: Math.min(30_000, scaled(500)),
    pongTimeoutMs: Math.min(30_000, scaled(1200)),
    silentServerMs: Math.min(30_000, scaled(1500)),
    slowResponseMs: Math.min(30_000, scaled(1000)),
    reconnectGraceMs: Math.min(10_000, scaled(400)),
    startupGraceMs: Math.min(60_000, scaled(5000)),
    recoverAfterMs: Math.min(120_000, scaled(3000)),
  };
}

/** Likewise the built-in flows' no-answer timeouts (8 s by default; the schema allows up to 120 s). */
function emulatedFlows(): { flows?: Record<string, unknown> } {
  if (TIME_SCALE === 1) return {};
  const flows: Record<string, unknown> = {};
  for (const [name, flow] of Object.entries(DEFAULT_FLOWS)) {
    const states = Object.fromEntries(
      Object.entries(flow.states).map(([k, st]) => [
        k,
        { ...st, noInputMs: Math.min(120_000, scaled((st as { noInputMs?: number }).noInputMs ?? 8000)) },
      ]),
    );
    flows[name] = { ...flow, states };
  }
  return { flows };
}

/**
 * The room's clock (room seconds per wall second). Natively: real time. Under arm64 emulation the
 * code under test cannot keep real time — the front-end alone needs ~12.5 ms of CPU per 10 ms frame
 * there on an idle core, and the suite shares the machine with other test files — so a real-time
 * room would overrun its capture buffer and drop the customer's words. The acoustic world slows
 * down instead: 4 / TIME_SCALE (0.2 at the runner's ×20), a quarter of the slack every other wait
 * gets. Latencies the tests assert are wall-clock and already stretched by TIME_SCALE.
 */
export const ROOM_CLOCK_RATE = Math.min(1, 4 / TIME_SCALE);

/** The cloud connect timeout: the default natively, stretched under emulation up to the schema's maximum. */
const CONNECT_TIMEOUT_MS = Math.min(60_000, scaled(5000));

/** Its waits (next, until, speakerIdle, …) are stretched by VOICETERM_TEST_TIME_SCALE (arm64 emulation). */
export class OfflineRig {
  readonly bus = new EventBus();
  readonly logs: Array<Record<string, unknown>> = [];
  readonly cloud = new LoopbackCloud({ apiKey: 'k', realtimePace: 8 });
  device!: RoomDevice;
  offline!: OfflineComponent;
  sup!: Supervisor;
  provider?: RealtimeProvider;
  private baseUrl = '';
  private proxy?: DelayProxy;
  /** Responses started on the current provider (ids), in order. */
  readonly responses: string[] = [];
  /** Responses finished (any status) on the current provider. */
  responsesDone = 0;

  constructor(private readonly o: RigOptions) {}

  async start(): Promise<this> {
    this.baseUrl = await this.cloud.start();
    if (this.o.slowMs !== undefined) {
      this.proxy = new DelayProxy(this.baseUrl, this.o.slowMs);
      this.baseUrl = await this.proxy.start();
    }
    this.device = new RoomDevice(
      {
        rate: 16000,
        seed: 3,
        echoPath: { rt60: 0.3, delayMs: 20, gainDb: -12 },
        noise: { type: 'pink', levelDbfs: -60 },
      },
      { paced: true, clockRate: ROOM_CLOCK_RATE },
    );
    await this.device.open();
    const config = validateConfig({
      supervisor: { stateDir: this.o.stateDir, restartBackoffMs: { initial: 50, max: 500 } },
      cloud: { provider: 'openai-realtime', connectTimeoutMs: CONNECT_TIMEOUT_MS },
      offline: {
        ...emulatedFlows(),
        ...this.o.offline,
        link: { ...emulatedLink(), ...(this.o.offline?.link as object) },
      },
    });
    const sink = new Writable({
      write: (chunk, _e, cb) => {
        for (const line of String(chunk).split('\n')) if (line) this.logs.push(JSON.parse(line));
        cb();
      },
    });
    this.sup = new Supervisor({
      config,
      loggers: new LoggerFactory({ level: 'info', destination: sink }),
      metrics: new MetricsRegistry(),
      bus: this.bus,
      notifier: { enabled: false, watchdogMs: undefined, send() {} },
      version: 'rig',
    });
    this.offline = new OfflineComponent({ device: this.device });
    this.sup.add(this.offline);
    if (this.o.withConversation) {
      // Imported only here: it loads onnxruntime and the front-end models.
      const { ConversationComponent } = await import('../src/conversation/component.js');
      const baseUrl = this.baseUrl;
      this.sup.add(
        new ConversationComponent({
          device: this.device,
          createProvider: () =>
            new OpenAIRealtimeProvider({
              baseUrl,
              auth: 'bearer',
              apiKey: 'k',
              model: 'gpt-realtime',
              voice: 'marin',
              connectTimeoutMs: CONNECT_TIMEOUT_MS,
            }),
        }),
      );
    }
    await this.sup.start();
    return this;
  }

  /** Open a cloud session (what the session keeper does), carrying `history` as context. */
  async connect(history: HistoryLine[] = []): Promise<RealtimeProvider> {
    const raw = new OpenAIRealtimeProvider({
      baseUrl: this.baseUrl,
      auth: 'bearer',
      apiKey: 'k',
      model: 'gpt-realtime',
      voice: 'marin',
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    const p = watchProvider(raw, this.offline.linkSignals);
    p.on((e) => this.onProviderEvent(e, p));
    await p.connect({ instructions: 'test', history, tools: [] });
    this.provider = p;
    return p;
  }

  private onProviderEvent(e: ProviderEvent, p: RealtimeProvider): void {
    if (p !== this.provider) return;
    if (e.type === 'response.started') this.responses.push(e.responseId);
    if (e.type === 'response.done') this.responsesDone++;
    // Cloud speech goes to the room's loudspeaker only while the cloud serves.
    if (e.type === 'audio' && this.offline.currentMode === 'cloud') {
      this.device.write(resampleSignal(int16ToFloat(e.pcm), p.outputRate, this.device.config.rate));
    }
  }

  /** End the customer's turn: the cloud owes an answer now. */
  commitTurn(): void {
    this.provider?.commitTurn();
  }

  /** A customer line at the microphone, starting `inMs` from now. */
  sayAtMic(samples: Float32Array, inMs = 0, name = 'customer'): void {
    const scenario = this.device.resolved;
    if (!scenario) throw new Error('room not open');
    const now = this.device.stats().framesCaptured * scenario.frameSamples;
    scenario.talkers.push({ name, samples, startSample: now + Math.round((inMs * scenario.rate) / 1000) });
  }

  /** Resolves with performance.now() of the first frame that carries sound at the DAC after `since`. */
  soundAtSpeaker(since: number, minRms = 0.01, timeoutMs = 10_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.device.off('frame', on);
        reject(new Error('nothing played'));
      }, scaled(timeoutMs));
      const on = (f: { ref: Float32Array }) => {
        const now = performance.now();
        if (now < since) return;
        let e = 0;
        for (let i = 0; i < f.ref.length; i++) e += f.ref[i] * f.ref[i];
        if (Math.sqrt(e / f.ref.length) < minRms) return;
        clearTimeout(t);
        this.device.off('frame', on);
        resolve(now);
      };
      this.device.on('frame', on);
    });
  }

  /** Wait for a bus event matching `pred`. */
  next<K extends keyof BusEvents>(
    event: K,
    pred: (p: BusEvents[K]) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<{ at: number; payload: BusEvents[K] }> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        off();
        reject(new Error(`no ${event} within ${scaled(timeoutMs)} ms`));
      }, scaled(timeoutMs));
      const off = this.bus.on(event, (p) => {
        if (!pred(p)) return;
        clearTimeout(t);
        off();
        resolve({ at: performance.now(), payload: p });
      });
    });
  }

  /** Poll until cond() holds. */
  async until(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const end = performance.now() + scaled(timeoutMs);
    while (!cond()) {
      if (performance.now() > end) throw new Error(`${what}: not within ${scaled(timeoutMs)} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves once the cloud serves (after boot the link must first prove itself for recoverAfterMs). */
  async untilCloud(timeoutMs = 15_000): Promise<void> {
    if (this.offline.currentMode === 'cloud') return;
    await this.next('offline.mode', (m) => m.mode === 'cloud', timeoutMs);
  }

  /** Resolves when the loudspeaker queue is empty (a prompt or reply finished playing). */
  async speakerIdle(timeoutMs = 20_000): Promise<void> {
    const end = performance.now() + scaled(timeoutMs);
    while (this.device.stats().queuedSamples > 0) {
      if (performance.now() > end) throw new Error('speaker still busy');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    await this.provider?.close().catch(() => {});
    await this.sup?.stop();
    await this.device?.close();
    await this.proxy?.stop();
    await this.cloud.stop();
  }
}

/** A WebSocket relay that delays server → client messages: a slow cloud in front of the double. */
class DelayProxy {
  private wss?: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();

  constructor(
    private readonly upstream: string,
    private readonly delayMs: number,
  ) {}

  async start(): Promise<string> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    this.wss = wss;
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wss.on('connection', (client, req) => {
      const base = new URL(this.upstream);
      const up = new WebSocket(`ws://${base.host}${req.url}`, {
        headers: { authorization: String(req.headers.authorization ?? '') },
      });
      this.sockets.add(client).add(up);
      const queue: RawData[] = [];
      up.on('open', () => {
        for (const m of queue.splice(0)) up.send(m);
      });
      client.on('message', (m) => (up.readyState === WebSocket.OPEN ? up.send(m) : queue.push(m)));
      up.on('message', (m, isBinary) => {
        setTimeout(
          () => client.readyState === WebSocket.OPEN && client.send(m, { binary: isBinary }),
          this.delayMs,
        );
      });
      up.on('close', () => client.close());
      client.on('close', () => up.close());
      up.on('error', () => client.terminate());
      client.on('error', () => up.terminate());
    });
    const port = (wss.address() as { port: number }).port;
    return `ws://127.0.0.1:${port}${new URL(this.upstream).pathname}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise<void>((r) => (this.wss ? this.wss.close(() => r()) : r()));
  }
}
