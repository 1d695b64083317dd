/**
 * The supervisor: starts components in order, stops them in reverse, polls their health, restarts
 * a failed one with backoff, and speaks the systemd notify protocol (READY, STATUS, WATCHDOG only
 * while live, STOPPING). One bad component degrades the terminal; it never takes the process down.
 */
import type { Config } from '../config/schema.js';
import type { Logger, LoggerFactory } from '../observability/logger.js';
import type { MetricsRegistry } from '../observability/metrics.js';
import { Backoff } from './backoff.js';
import type { EventBus } from './bus.js';
import type {
  Component,
  ComponentContext,
  ComponentHealth,
  ComponentState,
  LoopHandle,
} from './component.js';
import { EventLoopLagMonitor, judgeLiveness, type LivenessVerdict, staleLoops } from './liveness.js';
import type { Notifier } from './notify/notifier.js';
import { statusLine } from './status.js';

/** A component that has run this long without failing gets its backoff reset. */
const STABLE_AFTER_MS = 60_000;

interface Slot {
  component: Component;
  state: ComponentState;
  loops: Set<LoopHandle>;
  backoff: Backoff;
  log: Logger;
  lastError?: string;
  restarts: number;
  startedAt: number;
  restartTimer?: NodeJS.Timeout;
  /** Bumped on every (re)start so late callbacks of an old incarnation are ignored. */
  generation: number;
  lastHealth: ComponentHealth;
}

export interface SupervisorDeps {
  config: Config;
  loggers: LoggerFactory;
  metrics: MetricsRegistry;
  bus: EventBus;
  notifier: Notifier;
  version: string;
}

export class Supervisor {
  private readonly slots: Slot[] = [];
  private readonly log: Logger;
  private readonly lag = new EventLoopLagMonitor();
  private healthTimer?: NodeJS.Timeout;
  private watchdogTimer?: NodeJS.Timeout;
  private statusTimer?: NodeJS.Timeout;
  private healthLoop: LoopHandle;
  private stopping = false;
  /** STATUS= lines start after READY=1; before that systemd shows "activating". */
  private ready = false;
  private lastLiveness: LivenessVerdict = { ok: true };
  private lastStatus = '';

  constructor(private readonly deps: SupervisorDeps) {
    this.log = deps.loggers.for('supervisor');
    this.healthLoop = {
      name: 'supervisor.health',
      intervalMs: deps.config.supervisor.healthIntervalMs,
      lastTick: 0,
      stop() {},
    };
  }

  /** Register a component; start order is registration order, stop order the reverse. */
  add(component: Component): this {
    const { restartBackoffMs } = this.deps.config.supervisor;
    this.slots.push({
      component,
      state: 'stopped',
      loops: new Set(),
      backoff: new Backoff({ initialMs: restartBackoffMs.initial, maxMs: restartBackoffMs.max }),
      log: this.deps.loggers.for(component.name),
      restarts: 0,
      startedAt: 0,
      generation: 0,
      lastHealth: { healthy: false, summary: 'not started' },
    });
    return this;
  }

  get<T extends Component>(name: string): T | undefined {
    return this.slots.find((s) => s.component.name === name)?.component as T | undefined;
  }

  async start(): Promise<void> {
    this.lag.start();
    this.healthLoop.lastTick = performance.now();
    for (const slot of this.slots) {
      if (this.stopping) return;
      await this.startSlot(slot);
    }
    this.healthTimer = setInterval(() => this.pollHealth(), this.deps.config.supervisor.healthIntervalMs);
    this.pollHealth();
    this.ready = true;
    this.lag.restart();
    this.notify('READY=1');
    this.publishStatus(true);
    this.statusTimer = setInterval(
      () => this.publishStatus(true),
      this.deps.config.log.statusIntervalS * 1000,
    );
    this.startWatchdog();
    this.log.info(
      { components: this.slots.map((s) => `${s.component.name}:${s.state}`) },
      'supervisor ready',
    );
  }

  /** Stop everything in reverse order within the configured budget. Returns true if all stopped in time. */
  async stop(): Promise<boolean> {
    if (this.stopping) return true;
    this.stopping = true;
    this.notify('STOPPING=1');
    clearInterval(this.healthTimer);
    clearInterval(this.statusTimer);
    clearInterval(this.watchdogTimer);
    this.lag.stop();
    const deadline = performance.now() + this.deps.config.supervisor.stopTimeoutMs;
    let clean = true;
    for (const slot of [...this.slots].reverse()) {
      clearTimeout(slot.restartTimer);
      const budget = Math.max(50, deadline - performance.now());
      if (!(await this.stopSlot(slot, budget))) clean = false;
    }
    this.log.info({ clean }, 'supervisor stopped');
    return clean;
  }

  health(): Record<
    string,
    ComponentHealth & { state: ComponentState; restarts: number; lastError?: string }
  > {
    const out: ReturnType<Supervisor['health']> = {};
    for (const s of this.slots) {
      out[s.component.name] = {
        ...s.lastHealth,
        state: s.state,
        restarts: s.restarts,
        lastError: s.lastError,
      };
    }
    return out;
  }

  liveness(): LivenessVerdict {
    const now = performance.now();
    const loops: LoopHandle[] = [this.healthLoop];
    for (const s of this.slots) if (s.state === 'running') loops.push(...s.loops);
    return judgeLiveness(
      this.lag.lagMs(now),
      this.deps.config.supervisor.maxEventLoopLagMs,
      staleLoops(loops, now),
    );
  }

  // ---- component lifecycle ----

  private setState(slot: Slot, state: ComponentState, error?: string): void {
    if (slot.state === state && !error) return;
    slot.state = state;
    this.deps.bus.emit('component.state', { component: slot.component.name, state, error });
    if (this.ready && state !== 'starting') this.publishStatus(false);
  }

  private contextFor(slot: Slot): ComponentContext {
    const generation = slot.generation;
    const fail = (err: unknown) => {
      if (slot.generation === generation) this.onFailure(slot, err);
    };
    return {
      config: this.deps.config,
      logger: slot.log,
      metrics: this.deps.metrics,
      bus: this.deps.bus,
      lookup: <T extends Component>(name: string) => this.get<T>(name),
      componentHealth: () => this.health(),
      fail,
      every: (name, intervalMs, fn) => this.addLoop(slot, generation, name, intervalMs, fn),
    };
  }

  private addLoop(
    slot: Slot,
    generation: number,
    name: string,
    intervalMs: number,
    fn: () => void | Promise<void>,
  ): LoopHandle {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const handle: LoopHandle = {
      name: `${slot.component.name}.${name}`,
      intervalMs,
      lastTick: performance.now(),
      stop: () => {
        stopped = true;
        clearTimeout(timer);
        slot.loops.delete(handle);
      },
    };
    const tick = async () => {
      if (stopped || slot.generation !== generation) return;
      try {
        await fn();
        handle.lastTick = performance.now();
      } catch (err) {
        handle.stop();
        if (slot.generation === generation) this.onFailure(slot, err);
        return;
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    };
    slot.loops.add(handle);
    timer = setTimeout(tick, intervalMs);
    return handle;
  }

  private async startSlot(slot: Slot): Promise<void> {
    slot.generation++;
    this.setState(slot, 'starting');
    try {
      await slot.component.start(this.contextFor(slot));
      slot.startedAt = performance.now();
      slot.lastError = undefined;
      this.pollOne(slot, true);
      this.setState(slot, 'running');
      slot.log.info('started');
    } catch (err) {
      this.onFailure(slot, err);
    }
  }

  private async stopSlot(slot: Slot, budgetMs: number): Promise<boolean> {
    for (const l of [...slot.loops]) l.stop();
    slot.generation++;
    if (slot.state === 'stopped') return true;
    this.setState(slot, 'stopping');
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), budgetMs);
      });
      const result = await Promise.race([slot.component.stop().then(() => 'ok' as const), timeout]);
      if (result === 'timeout') {
        slot.log.error({ budgetMs }, 'stop timed out');
        return false;
      }
      return true;
    } catch (err) {
      slot.log.error({ err }, 'stop failed');
      return false;
    } finally {
      clearTimeout(timer);
      this.setState(slot, 'stopped');
    }
  }

  /** A component failed: log, mark unhealthy, stop what is left of it, restart after backoff. */
  private onFailure(slot: Slot, err: unknown): void {
    if (this.stopping || slot.state === 'failed' || slot.state === 'restarting') return;
    const message = err instanceof Error ? err.message : String(err);
    slot.lastError = message;
    slot.lastHealth = { healthy: false, summary: `failed: ${message}` };
    this.deps.metrics.inc(`supervisor.component_failures.${slot.component.name}`);
    if (slot.startedAt > 0 && performance.now() - slot.startedAt > STABLE_AFTER_MS) slot.backoff.reset();
    const delay = slot.backoff.next();
    slot.log.error({ err, restartInMs: delay }, 'component failed');
    this.setState(slot, 'failed', message);
    void this.stopSlot(slot, 2000).then(() => {
      if (this.stopping) return;
      slot.state = 'restarting';
      slot.restartTimer = setTimeout(() => {
        if (this.stopping) return;
        slot.restarts++;
        this.deps.metrics.inc(`supervisor.component_restarts.${slot.component.name}`);
        void this.startSlot(slot);
      }, delay);
    });
  }

  // ---- health, status, watchdog ----

  private pollHealth(): void {
    for (const slot of this.slots) this.pollOne(slot, false);
    this.healthLoop.lastTick = performance.now();
  }

  private pollOne(slot: Slot, justStarted: boolean): void {
    if (slot.state !== 'running' && !justStarted) return;
    try {
      slot.lastHealth = slot.component.health();
    } catch (err) {
      this.onFailure(slot, err);
    }
  }

  private startWatchdog(): void {
    const ms = this.deps.notifier.watchdogMs;
    if (!ms) return;
    // sd_watchdog_enabled(3): ping at half the interval.
    this.watchdogTimer = setInterval(() => this.watchdogTick(), Math.max(10, ms / 2));
  }

  private watchdogTick(): void {
    const verdict = this.liveness();
    this.lag.resetWindow();
    if (verdict.ok) this.notify('WATCHDOG=1');
    if (verdict.ok !== this.lastLiveness.ok || verdict.reason !== this.lastLiveness.reason) {
      if (verdict.ok) this.log.info('liveness restored; watchdog pings resume');
      else this.log.error({ reason: verdict.reason }, 'liveness check failed; withholding WATCHDOG=1');
      this.lastLiveness = verdict;
    }
  }

  private publishStatus(periodic: boolean): void {
    if (this.stopping) return;
    const line = statusLine(
      this.deps.version,
      this.slots.map((s) => ({ name: s.component.name, state: s.state, health: s.lastHealth })),
    );
    if (line === this.lastStatus && !periodic) return;
    this.lastStatus = line;
    this.notify(`STATUS=${line}`);
    this.deps.bus.emit('supervisor.status', { line });
    if (periodic) this.log.info({ status: line, metrics: this.deps.metrics.snapshot().gauges }, 'status');
  }

  private notify(msg: string): void {
    try {
      this.deps.notifier.send(msg);
    } catch (err) {
      this.log.warn({ err, msg }, 'sd_notify failed');
    }
  }
}
