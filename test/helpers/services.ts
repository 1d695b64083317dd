/** Shared services for in-process component tests: real logger (to a buffer), metrics, bus, config. */
import { Writable } from 'node:stream';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { LoggerFactory } from '../../src/observability/logger.js';
import { MetricsRegistry } from '../../src/observability/metrics.js';
import { EventBus } from '../../src/supervisor/bus.js';

export interface TestServices {
  config: Config;
  loggers: LoggerFactory;
  metrics: MetricsRegistry;
  bus: EventBus;
  /** Parsed JSON log records written so far. */
  logs: Array<Record<string, unknown>>;
}

export function testServices(configTree: unknown = {}): TestServices {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const config = validateConfig(configTree);
  return {
    config,
    loggers: new LoggerFactory({ level: 'debug', destination: sink }),
    metrics: new MetricsRegistry(),
    bus: new EventBus(),
    logs,
  };
}
