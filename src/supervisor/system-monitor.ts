/**
 * Process and board vitals for health reports: RSS, heap, CPU share, load, temperature, event-loop
 * delay. Cheap reads every few seconds; no allocation-heavy work.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Component, ComponentContext, ComponentHealth } from './component.js';

/** First thermal zone in °C, or undefined where the board exposes none (like this build machine). */
export function readTemperatureC(path = '/sys/class/thermal/thermal_zone0/temp'): number | undefined {
  try {
    const milli = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(milli) ? milli / 1000 : undefined;
  } catch {
    return undefined;
  }
}

export class SystemMonitor implements Component {
  readonly name = 'system';
  private ctx?: ComponentContext;
  private delay = monitorEventLoopDelay({ resolution: 10 });
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();
  private vitals = {
    rssMb: 0,
    heapMb: 0,
    cpuPct: 0,
    load1: 0,
    tempC: undefined as number | undefined,
    loopDelayP99Ms: 0,
  };

  async start(ctx: ComponentContext): Promise<void> {
    this.ctx = ctx;
    this.delay.enable();
    this.sample();
    ctx.every('sample', 5000, () => this.sample());
  }

  async stop(): Promise<void> {
    this.delay.disable();
  }

  private sample(): void {
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const elapsedMs = Math.max(1, now - this.lastAt);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const mem = process.memoryUsage();
    this.vitals = {
      rssMb: Math.round(mem.rss / 1e5) / 10,
      heapMb: Math.round(mem.heapUsed / 1e5) / 10,
      cpuPct: Math.round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 1000) / 10,
      load1: Math.round(loadavg()[0] * 100) / 100,
      tempC: readTemperatureC(),
      loopDelayP99Ms: Math.round(this.delay.percentile(99) / 1e4) / 100,
    };
    this.delay.reset();
    const m = this.ctx?.metrics;
    if (!m) return;
    m.set('system.rss_mb', this.vitals.rssMb);
    m.set('system.heap_mb', this.vitals.heapMb);
    m.set('system.cpu_pct', this.vitals.cpuPct);
    m.set('system.load1', this.vitals.load1);
    m.set('system.loop_delay_p99_ms', this.vitals.loopDelayP99Ms);
    if (this.vitals.tempC !== undefined) m.set('system.temp_c', this.vitals.tempC);
  }

  health(): ComponentHealth {
    return {
      healthy: true,
      summary: `rss ${this.vitals.rssMb} MB, cpu ${this.vitals.cpuPct}%`,
      details: { ...this.vitals },
    };
  }
}
