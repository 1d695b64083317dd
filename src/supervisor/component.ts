/**
 * The component contract (zigbee2mqtt's pattern): constructors take the shared services and do
 * nothing else; start() does the work; stop() undoes it; health() is cheap and synchronous.
 *
 * Components never run bare timers for their work: they use ctx.every(), which catches errors and
 * records a heartbeat. An error in a loop is reported to the supervisor, which marks the component
 * unhealthy and restarts it with backoff; a loop that stops ticking fails the liveness check, and
 * systemd's watchdog then restarts the whole process.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { MetricsRegistry } from '../observability/metrics.js';
import type { EventBus } from './bus.js';

export type ComponentState = 'stopped' | 'starting' | 'running' | 'failed' | 'restarting' | 'stopping';

export interface ComponentHealth {
  healthy: boolean;
  /** One short phrase for the status line, e.g. "room sim, 123 frames". */
  summary?: string;
  /** Anything a fleet engineer should see in health reports. */
  details?: Record<string, unknown>;
}

export interface Services {
  config: Config;
  logger: Logger;
  metrics: MetricsRegistry;
  bus: EventBus;
  /** Access to other components by name, for the few that must call each other directly. */
  lookup: <T extends Component>(name: string) => T | undefined;
  /** The supervisor's component table (state, health, restarts) — for fleet health reports. */
  componentHealth?: () => Record<
    string,
    ComponentHealth & { state: ComponentState; restarts: number; lastError?: string }
  >;
}

export interface LoopHandle {
  readonly name: string;
  readonly intervalMs: number;
  /** performance.now() of the last completed tick. */
  lastTick: number;
  stop(): void;
}

export interface ComponentContext extends Services {
  /**
   * Run fn every intervalMs (not overlapping when fn is async). Errors are reported as a component
   * failure; ticks feed the liveness check.
   */
  every(name: string, intervalMs: number, fn: () => void | Promise<void>): LoopHandle;
  /** Report an error that happened outside a loop (an event handler, a socket callback). */
  fail(err: unknown): void;
}

export interface Component {
  readonly name: string;
  start(ctx: ComponentContext): Promise<void>;
  stop(): Promise<void>;
  health(): ComponentHealth;
}
