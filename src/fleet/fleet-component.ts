/**
 * The `fleet` component: wires the durable queue, the MQTT link, the drainer, the command registry
 * and health reporting together. Everything here is glue; the logic lives in the small modules it
 * composes (see README.md).
 *
 * Other components reach it with `ctx.lookup<FleetComponent>('fleet')`:
 *   fleet.commands.registerCommand('update', schema, handler)   — any time, even before start
 *   fleet.publisher.publish('update', payload)                   — after start (throws before)
 */
import { join } from 'node:path';
import { appVersion } from '../cli/version.js';
import { remoteConfigPath } from '../config/load.js';
import { maskSecrets } from '../config/mask.js';
import { configSchema } from '../config/schema.js';
import { Redactor } from '../observability/redaction.js';
import { sweepRetention } from '../observability/retention.js';
import type { Component, ComponentContext, ComponentHealth } from '../supervisor/component.js';
import './bus-events.js';
import { deepMerge } from '../config/load.js';
import { registerBuiltinCommands } from './commands/builtin.js';
import { CommandRegistry } from './commands/registry.js';
import { resolveDeviceId } from './device-id.js';
import { boundedBundle, journalTail } from './diagnostics.js';
import { Drainer } from './drainer.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './embedded-broker.js';
import { FORWARDED_BUS_EVENTS, isAuditKind } from './events.js';
import { bootSlot, buildHealth, diskOf, type HealthSnapshot, HealthThrottle } from './health.js';
import { FleetLink, type IncomingMessage } from './link.js';
import { FleetPublisher } from './publisher.js';
import { DurableQueue } from './queue/durable-queue.js';
import {
  HANDOFF_FILE,
  type HandoffMode,
  KILL_SWITCH_FILE,
  readHandoffMode,
  readKillSwitch,
  readRemoteConfig,
  writeJsonAtomic,
} from './state-store.js';
import { SyntheticEvents, syntheticRate } from './synthetic.js';
import { TopicNames } from './topics.js';

const HEALTH_HISTORY = 30;
/** Exit status after a remote `restart` (EX_TEMPFAIL): non-zero so Restart=on-failure applies. */
export const RESTART_EXIT_CODE = 75;

export class FleetComponent implements Component {
  readonly name = 'fleet';
  readonly commands = new CommandRegistry();
  private ctx?: ComponentContext;
  private pub?: FleetPublisher;
  private queue?: DurableQueue;
  private link?: FleetLink;
  private broker?: EmbeddedBroker;
  private topics?: TopicNames;
  private redactor = new Redactor();
  private throttle = new HealthThrottle(0);
  private unsubscribe: (() => void)[] = [];
  private killSwitch = false;
  private handoffMode: HandoffMode = 'auto';
  private healthDirty = false;
  private history: HealthSnapshot[] = [];
  private restartRequired: string[] = [];
  private degraded?: string;
  /** Mirrors the supervisor's conversation lock (its `conversation.lock` bus event). */
  private conversationHeld = false;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {
    const self = () => {
      if (!this.ctx) throw new Error('fleet not started');
      return this.ctx;
    };
    registerBuiltinCommands(this.commands, {
      get config() {
        return self().config;
      },
      persistRemoteConfig: (partial) => {
        const dir = self().config.supervisor.stateDir;
        writeJsonAtomic(remoteConfigPath(dir), deepMerge(readRemoteConfig(dir), partial));
      },
      configApplied: (live, restartRequired) => {
        this.restartRequired = [...new Set([...this.restartRequired, ...restartRequired])];
        self().bus.emit('fleet.configApplied', { live, restartRequired });
        this.publishReported();
      },
      setKillSwitch: (on, reason) => {
        this.killSwitch = on;
        writeJsonAtomic(join(self().config.supervisor.stateDir, KILL_SWITCH_FILE), {
          on,
          since: new Date().toISOString(),
          reason,
        });
        self().bus.emit('fleet.killSwitch', { on, reason, source: 'remote' });
      },
      setHandoffMode: (mode) => {
        this.handoffMode = mode;
        writeJsonAtomic(join(self().config.supervisor.stateDir, HANDOFF_FILE), {
          mode,
          since: new Date().toISOString(),
        });
        self().bus.emit('fleet.handoffMode', { mode, source: 'remote' });
      },
      conversationActive: () => this.conversationHeld,
      // SIGTERM → the supervisor stops everything cleanly. The unit has Restart=on-failure, so
      // the exit status is forced to RESTART_EXIT_CODE (EX_TEMPFAIL): systemd starts us again.
      scheduleRestart: () => {
        process.once('exit', () => {
          process.exitCode = RESTART_EXIT_CODE;
        });
        setTimeout(() => process.kill(process.pid, 'SIGTERM'), 1500).unref();
      },
      diagnostics: () => this.diagnostics(),
      ping: () => ({
        pong: true,
        ts: new Date().toISOString(),
        uptimeS: Math.round(process.uptime()),
        queueDepth: this.queue?.depth ?? 0,
      }),
    });
  }

  /** Before start (or with fleet disabled) a detached publisher: `ready` is false, publish throws. */
  get publisher(): FleetPublisher {
    return this.pub ?? this.detached;
  }

  private readonly detached = new FleetPublisher(new TopicNames('voiceterm', 'unstarted'), new Redactor());

  async start(ctx: ComponentContext): Promise<void> {
    this.ctx = ctx;
    const cfg = ctx.config.fleet;
    if (!cfg.enabled) return;
    const stateDir = ctx.config.supervisor.stateDir;
    const topics = new TopicNames(cfg.topicPrefix, resolveDeviceId(ctx.config.device.id));
    this.topics = topics;
    this.redactor = new Redactor({ patterns: cfg.redaction.patterns });
    this.throttle = new HealthThrottle(cfg.healthMinGapS * 1000);
    const queue = new DurableQueue({
      dir: join(stateDir, 'fleet-queue'),
      maxBytes: cfg.queue.maxBytes,
      segmentBytes: cfg.queue.segmentBytes,
    });
    this.queue = queue;
    queue.onDrop = (m) => {
      ctx.metrics.inc(`fleet.queue_dropped.${m.cls}`);
      ctx.logger.warn(m, 'fleet queue full: message dropped');
    };
    const pub = new FleetPublisher(topics, this.redactor);
    pub.attach(queue);
    this.pub = pub;

    this.killSwitch = readKillSwitch(stateDir).on;
    this.handoffMode = readHandoffMode(stateDir).mode;
    ctx.bus.emit('fleet.killSwitch', { on: this.killSwitch, source: 'restored' });
    ctx.bus.emit('fleet.handoffMode', { mode: this.handoffMode, source: 'restored' });

    const { url, protocolVersion } = await this.brokerUrl(ctx);
    const b = cfg.broker;
    const link = new FleetLink({
      url,
      topics,
      protocolVersion,
      keepaliveS: b?.keepaliveS ?? 30,
      username: b?.username,
      password: b?.password,
      tls: b?.tls,
      reconnect: cfg.reconnect,
      statusExtra: { version: appVersion(), name: ctx.config.device.name || undefined },
      log: ctx.logger,
    });
    this.link = link;
    const drainer = new Drainer(
      queue,
      link,
      { perS: cfg.queue.drainPerS, inflight: cfg.queue.inflight },
      ctx.fail,
    );
    pub.onEnqueue = () => drainer.pump();
    link.onOnline = () => {
      ctx.bus.emit('fleet.link', { state: 'online' });
      this.healthDirty = true;
      drainer.pump();
    };
    link.onOffline = () => {
      drainer.linkDown();
      ctx.bus.emit('fleet.link', { state: 'offline' });
      this.healthDirty = true;
    };
    link.onMessage = (m) => void this.onMessage(m).catch(ctx.fail);

    for (const name of FORWARDED_BUS_EVENTS) {
      this.unsubscribe.push(
        ctx.bus.on(name, (payload) => {
          pub.event(name, { ...(payload as object) }, isAuditKind(name) ? 'audit' : 'event');
          this.healthDirty = true;
        }),
      );
    }
    this.unsubscribe.push(
      ctx.bus.on('fleet.event', (e) => pub.event(e.kind, e.data, e.audit ? 'audit' : 'event')),
    );

    ctx.every('fsync', cfg.queue.fsyncIntervalMs, () => queue.flush());
    ctx.every('drain', 50, () => drainer.pump());
    ctx.every('health', cfg.healthIntervalS * 1000, () => this.publishHealth(true));
    ctx.every('health-change', 1000, () => {
      if (this.healthDirty) this.publishHealth(false);
    });
    ctx.every('retention', 3600_000, () => this.sweep());
    const rate = syntheticRate(this.env);
    if (rate > 0) {
      const synthetic = new SyntheticEvents(stateDir, queue, pub);
      ctx.every('synthetic', Math.max(1, Math.round(1000 / rate)), () => synthetic.tick());
    }
    this.sweep();
    link.start();
    this.publishHealth(true);
    this.publishReported();
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.link?.stop();
    this.queue?.close();
    await this.broker?.close();
    this.link = undefined;
    this.queue = undefined;
    this.broker = undefined;
    this.pub?.attach(undefined);
  }

  health(): ComponentHealth {
    if (!this.ctx?.config.fleet.enabled) return { healthy: true, summary: 'disabled' };
    const link = this.link?.state ?? 'stopped';
    const q = this.queue?.stats();
    return {
      // An unreachable broker is the fleet's condition, not a fault of the terminal: still healthy.
      healthy: true,
      summary: `${link}, queue ${q?.depth ?? 0}${this.degraded ? `, ${this.degraded}` : ''}`,
      details: {
        link,
        deviceId: this.topics?.deviceId,
        queue: q,
        reconnects: this.link?.reconnects,
        lastError: this.link?.lastError,
      },
    };
  }

  private async brokerUrl(ctx: ComponentContext): Promise<{ url: string; protocolVersion: 4 | 5 }> {
    const cfg = ctx.config.fleet;
    if (cfg.broker) return { url: cfg.broker.url, protocolVersion: cfg.broker.protocolVersion };
    try {
      this.broker = await startEmbeddedBroker(cfg.embeddedBrokerPort);
      ctx.logger.info(
        { port: this.broker.port },
        `embedded MQTT broker on 127.0.0.1:${this.broker.port} (watch: mosquitto_sub -p ${this.broker.port} -t '${cfg.topicPrefix}/#' -v)`,
      );
      return { url: `mqtt://127.0.0.1:${this.broker.port}`, protocolVersion: 4 };
    } catch (err) {
      this.degraded = `embedded broker: ${(err as Error).message}`;
      ctx.logger.warn(
        { err: (err as Error).message, port: cfg.embeddedBrokerPort },
        'embedded broker not started; connecting to whatever listens there',
      );
      return { url: `mqtt://127.0.0.1:${cfg.embeddedBrokerPort}`, protocolVersion: 4 };
    }
  }

  private async onMessage(m: IncomingMessage): Promise<void> {
    const topics = this.topics;
    const pub = this.pub;
    if (!topics || !pub) return;
    if (m.topic === topics.configDesired) {
      // The shadow pattern: `desired` is the partial config itself; the answer is `reported`.
      let body = m.payload.toString('utf8');
      try {
        const { transaction, ...partial } = JSON.parse(body) as Record<string, unknown>;
        body = JSON.stringify({ transaction, config: partial });
      } catch {
        // dispatch reports the JSON error
      }
      const response = await this.commands.dispatch('config', body);
      this.publishReported(response);
      return;
    }
    const name = topics.commandName(m.topic);
    if (!name) return; // not this device's command topic: ignored
    const response = await this.commands.dispatch(name, m.payload);
    // Error texts can quote the offending input: redact them for the log as for the broker.
    const error = response.error ? this.redactor.redact(response.error.message) : undefined;
    this.ctx?.logger.info({ command: name, ok: response.ok, error }, 'fleet command');
    pub.respond(m.responseTopic ?? topics.responseTopic(name), response, m.correlationData);
  }

  private publishHealth(periodic: boolean): void {
    const ctx = this.ctx;
    const queue = this.queue;
    if (!ctx || !queue || !this.pub) return;
    this.healthDirty = false;
    const stats = queue.stats();
    ctx.metrics.set('fleet.queue_depth', stats.depth);
    ctx.metrics.set('fleet.queue_bytes', stats.bytes);
    const components: Record<
      string,
      { state: string; healthy: boolean; summary?: string; restarts?: number }
    > = {};
    for (const [n, h] of Object.entries(ctx.componentHealth?.() ?? {})) {
      components[n] = { state: h.state, healthy: h.healthy, summary: h.summary, restarts: h.restarts };
    }
    const snapshot = buildHealth({
      now: new Date(),
      uptimeS: process.uptime(),
      version: appVersion(),
      bootSlot: bootSlot(),
      metrics: ctx.metrics.snapshot(),
      components,
      queue: { depth: stats.depth, bytes: stats.bytes, dropped: stats.dropped },
      link: { state: this.link?.state ?? 'stopped', reconnects: this.link?.reconnects ?? 0 },
      killSwitch: this.killSwitch,
      handoffMode: this.handoffMode,
      disk: diskOf(ctx.config.supervisor.stateDir),
    });
    if (!this.throttle.shouldSend(snapshot, performance.now(), periodic)) {
      this.healthDirty = !periodic; // still pending: retried by the change loop after the gap
      return;
    }
    this.history.push(snapshot);
    if (this.history.length > HEALTH_HISTORY) this.history.shift();
    this.pub.publish('health', snapshot);
  }

  private publishReported(lastChange?: unknown): void {
    const ctx = this.ctx;
    if (!ctx || !this.pub) return;
    this.pub.publish('config/reported', {
      ts: new Date().toISOString(),
      config: maskSecrets(configSchema, ctx.config) as unknown as Record<string, unknown>,
      restartRequired: this.restartRequired,
      ...(lastChange ? { lastChange } : {}),
    });
  }

  private diagnostics(): Record<string, unknown> {
    const ctx = this.ctx;
    if (!ctx) return {};
    return boundedBundle(
      {
        ts: new Date().toISOString(),
        deviceId: this.topics?.deviceId,
        version: appVersion(),
        components: ctx.componentHealth?.() ?? {},
        queue: this.queue?.stats(),
        link: { state: this.link?.state, reconnects: this.link?.reconnects, lastError: this.link?.lastError },
        config: maskSecrets(configSchema, ctx.config),
        metrics: ctx.metrics.snapshot(),
        healthHistory: [...this.history],
        logs: journalTail(),
      },
      this.redactor,
      ctx.config.fleet.diagnosticsMaxBytes,
    );
  }

  private sweep(): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const { maxAgeHours, dirs } = ctx.config.fleet.retention;
    const stateDir = ctx.config.supervisor.stateDir;
    const r = sweepRetention(dirs.map((d) => ({ dir: join(stateDir, d), maxAgeHours })));
    if (r.deleted.length) ctx.logger.info({ deleted: r.deleted.length }, 'retention: expired files deleted');
    if (r.errors.length)
      ctx.logger.warn({ errors: r.errors.slice(0, 5) }, 'retention: some files could not be deleted');
  }
}
