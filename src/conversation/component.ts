/**
 * The `conversation` component: runs the front-end on the audio component's frames, the duplex
 * engine, the cloud session keeper and the tools. With `cloud.provider: none` (the embedded
 * default) or no API key it connects nowhere and the offline flow serves the terminal.
 *
 * Cooperation with `offline` (when present): each provider is wrapped with watchProvider() so link
 * health sees every event; offline.mode ≠ cloud gates cloud audio both ways; offline.resume
 * history goes into the next session's context; clean front-end frames are fed to the offline
 * recogniser, so it needs no echo gate of its own.
 */
import { join } from 'node:path';
import type { AudioDevice } from '../audio/device.js';
import { GptLiveProvider } from '../cloud/gpt-live/adapter.js';
import { OpenAIRealtimeProvider } from '../cloud/openai-realtime/adapter.js';
import type { RealtimeProvider } from '../cloud/provider.js';
import { resolveStateDir } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { ModelFileError } from '../frontend/models.js';
import { heapTrimHint } from '../frontend/ort.js';
import type { FrontendPipeline } from '../frontend/pipeline.js';
import type { FrontendProcessor } from '../frontend/types.js';
import { Redactor } from '../observability/redaction.js';
import type { LinkSignals } from '../offline/link-health.js';
import { watchProvider } from '../offline/provider-watch.js';
import type { Component, ComponentContext, ComponentHealth } from '../supervisor/component.js';
import { conversationLockFor } from '../supervisor/conversation-lock.js';
import type { ToolRunner } from '../tools/runner.js';
import { buildToolRunner } from '../tools/setup.js';
import { ConversationActivityLock } from './activity-lock.js';
import type { EngineTrace } from './engine.js';
import { ConversationSession } from './session.js';
import { SessionTraceRecorder, storeSummary } from './session-trace.js';
import './events.js';

interface OfflineLike extends Component {
  linkSignals: LinkSignals;
  feedCleanFrame(clean: Float32Array, rate: number, nearEnd: boolean, speechStart: boolean): void;
}

export interface ConversationComponentOptions {
  device?: AudioDevice;
  frontend?: FrontendProcessor;
  /** Tests: build the provider differently (e.g. point at the loopback double). */
  createProvider?: (config: Config) => RealtimeProvider;
}

/** The offline component's link signals, if it runs (its getter throws while it is stopped). */
function linkSignalsOf(offline: OfflineLike | undefined): LinkSignals | undefined {
  try {
    return offline?.linkSignals;
  } catch {
    return undefined;
  }
}

export function providerFromConfig(config: Config): RealtimeProvider {
  const c = config.cloud;
  const endpoint = {
    baseUrl: c.baseUrl,
    auth: c.auth,
    apiKey: c.apiKey,
    connectTimeoutMs: c.connectTimeoutMs,
    pingIntervalMs: c.keepalive.pingIntervalMs,
    deadAfterMs: c.keepalive.deadAfterMs,
  };
  if (c.provider === 'gpt-live')
    return new GptLiveProvider({ ...endpoint, model: c.liveModel, voice: c.voice, rate: c.liveRate });
  return new OpenAIRealtimeProvider({
    ...endpoint,
    model: c.model,
    voice: c.voice,
    transcriptionModel: c.transcriptionModel || undefined,
  });
}

/**
 * The front-end with the installed models. A missing or altered model file fails the start with an
 * error that says "front-end" and names the file: the supervisor reports this component as
 * "conversation", and the operator must see which part is broken and what to replace.
 */
async function loadFrontend(cfg: Config): Promise<FrontendPipeline> {
  const { FrontendPipeline, frontendOptionsFromConfig } = await import('../frontend/pipeline.js');
  try {
    return new FrontendPipeline(frontendOptionsFromConfig(cfg.frontend));
  } catch (err) {
    const message = `front-end not loaded: ${(err as Error).message}`;
    if (err instanceof ModelFileError) throw new ModelFileError(err.file, message);
    throw new Error(message, { cause: err });
  }
}

export class ConversationComponent implements Component {
  readonly name = 'conversation';
  private session?: ConversationSession;
  private tools?: ToolRunner;
  private summary = 'not started';
  private linkUp = false;
  private readonly counts = { bargeIns: 0, falseStops: 0, backchannels: 0, turns: 0 };
  private unsub: Array<() => void> = [];
  private recorder?: SessionTraceRecorder;
  private activity?: ConversationActivityLock;
  /** The front-end this component built (not one passed in): its ONNX sessions are freed on stop. */
  private ownedFrontend?: FrontendPipeline;

  constructor(private readonly opts: ConversationComponentOptions = {}) {}

  async start(ctx: ComponentContext): Promise<void> {
    const cfg = ctx.config;
    if (cfg.cloud.provider === 'none') {
      this.summary = 'cloud off (provider none)';
      return;
    }
    if (!cfg.cloud.apiKey && !this.opts.createProvider) {
      this.summary = 'cloud off (no API key)';
      ctx.logger.warn('cloud.provider is set but no API key: not connecting (offline flow serves)');
      // Tell link health at once, so the offline flow does not wait for a connection that never comes.
      linkSignalsOf(ctx.lookup<OfflineLike>('offline'))?.connectFailed(performance.now(), 'no API key');
      return;
    }
    const device = this.opts.device ?? ctx.lookup<Component & { device?: AudioDevice }>('audio')?.device;
    if (!device) throw new Error('no audio device (is the audio component running?)');
    // Loaded only when a cloud session will run: onnxruntime is heavy for a terminal without one.
    let frontend = this.opts.frontend;
    if (!frontend) {
      this.ownedFrontend = await loadFrontend(cfg);
      frontend = this.ownedFrontend;
      const hint = heapTrimHint(process.platform, process.env);
      if (hint) ctx.logger.warn(hint);
    }
    const offline = ctx.lookup<OfflineLike>('offline');
    const stateDir = resolveStateDir(cfg.supervisor.stateDir, process.env);
    // The operator's extra patterns (fleet.redaction) apply to the audit log as they do to telemetry.
    const redactor = new Redactor({ patterns: cfg.fleet.redaction.patterns });
    const tools = buildToolRunner(cfg.tools, {
      auditDir: cfg.tools.audit.dir || join(stateDir, 'audit'),
      redact: (v) => redactor.redactDeep(v),
      reply: (callId, output) => this.session?.keeper.current?.sendToolResult(callId, output),
      ask: (text) => this.session?.keeper.current?.prompt(text),
      onAuditError: (err) => ctx.logger.error({ err }, 'audit log write failed'),
      onTrace: (t) => {
        this.recorder?.tool(t);
        ctx.bus.emit('conversation.tool', t);
      },
    });
    this.tools = tools.runner;
    const tracesDir = join(stateDir, 'traces');
    const recorder = new SessionTraceRecorder(
      cfg.cloud.provider,
      (device.config.frameSamples * 1000) / device.config.rate,
      30_000,
      (summary) => {
        ctx.bus.emit('conversation.summary', summary);
        void storeSummary(tracesDir, summary, (err) => ctx.logger.warn({ err }, 'session trace not stored'));
      },
    );
    this.recorder = recorder;
    // The lock that keeps an update's reboot or a remote restart from cutting a person off.
    const lock = conversationLockFor(ctx.bus);
    const activity = new ConversationActivityLock(
      (reason) => lock.acquire(reason),
      cfg.conversation.lockIdleS * 1000,
    );
    this.activity = activity;
    const create = () => {
      const p = (this.opts.createProvider ?? providerFromConfig)(cfg);
      // Link health (offline flow) sees every event and every connect attempt of every session.
      const signals = linkSignalsOf(offline);
      return signals ? watchProvider(p, signals) : p;
    };
    const session = new ConversationSession({
      device,
      frontend,
      kind: cfg.cloud.provider,
      bargeIn: cfg.conversation.bargeIn,
      turn: cfg.conversation.turn,
      tools: tools.runner,
      keeper: {
        create,
        instructions: cfg.cloud.instructions,
        tools: tools.specs,
        backoff: cfg.cloud.reconnect,
        capMs: cfg.cloud.rotation.capS * 1000,
        rotateMarginMs: cfg.cloud.rotation.marginS * 1000,
        hardMarginMs: cfg.cloud.rotation.hardMarginS * 1000,
        historyLines: cfg.cloud.historyLines,
        onError: (err) => ctx.logger.warn({ err: (err as Error).message }, 'cloud connect failed'),
      },
      onTrace: (t) => this.trace(ctx, t, cfg.cloud.provider === 'gpt-live' ? offline : undefined),
      onKeeperEvent: (e) => {
        if (e.type === 'link') {
          this.linkUp = e.up;
          if (e.up && e.generation > 1) recorder.sessionChanged();
          ctx.bus.emit('conversation.link', { up: e.up, reason: e.reason ?? '', generation: e.generation });
          ctx.logger.info({ up: e.up, reason: e.reason, generation: e.generation }, 'cloud session');
        } else if (e.type === 'ignored') ctx.logger.warn({ reason: e.reason }, 'server event skipped');
        else if (e.type === 'error')
          ctx.logger.warn({ code: e.code, message: e.message }, 'server error event');
      },
      onFrontendFrame: (f) => {
        if (f.speechStart) activity.touch(performance.now());
        offline?.feedCleanFrame(f.clean, frontend.rate, f.nearEndLikely, f.speechStart);
      },
    });
    this.session = session;
    this.unsub.push(
      ctx.bus.on('offline.mode', ({ mode }) => session.setCloudActive(mode === 'cloud')),
      // A silent link whose socket never closed: link health notices in ≤ 2 s; the keeper then
      // builds a replacement session in the background (with backoff) for when the network is back.
      ctx.bus.on('offline.link', ({ state }) => {
        if (state === 'offline') session.keeper.recycle();
      }),
      ctx.bus.on('offline.resume', ({ history }) => session.keeper.carryOver(history)),
    );
    session.start();
    ctx.every('session', 1000, () => {
      activity.tick(performance.now());
      session.tick();
      recorder.tick(session.stats.frames);
      this.summary = `${cfg.cloud.provider} ${this.linkUp ? 'up' : 'down'}, ${this.counts.turns} turns, ${this.counts.bargeIns} barge-ins`;
    });
    this.summary = `${cfg.cloud.provider} connecting`;
  }

  /** `liveOffline`: the offline component when the model takes turns itself (GPT-Live). */
  private trace(ctx: ComponentContext, t: EngineTrace, liveOffline?: OfflineLike): void {
    this.recorder?.engine(t);
    this.activity?.touch(performance.now());
    if (t.type === 'bargein.confirmed') this.counts.bargeIns++;
    if (t.type === 'bargein.released')
      this.counts[t.kind === 'backchannel' ? 'backchannels' : 'falseStops']++;
    if (t.type === 'turn.end' && t.committed) {
      this.counts.turns++;
      // Live takes turns itself (no commit); link health still needs to know an answer is due.
      linkSignalsOf(liveOffline)?.responseExpected(performance.now());
    }
    ctx.bus.emit('conversation.trace', t);
  }

  async stop(): Promise<void> {
    this.activity?.dispose();
    this.activity = undefined;
    for (const u of this.unsub.splice(0)) u();
    this.tools?.cancelPending();
    this.recorder?.flush();
    await this.session?.stop();
    this.session = undefined;
    this.ownedFrontend?.dispose();
    this.ownedFrontend = undefined;
  }

  health(): ComponentHealth {
    const s = this.session;
    return {
      healthy: true,
      summary: this.summary,
      details: s
        ? { link: this.linkUp, ...this.counts, keeper: { ...s.keeper.stats }, session: { ...s.stats } }
        : undefined,
    };
  }
}
