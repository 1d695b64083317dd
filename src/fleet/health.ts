/**
 * Health snapshots: gathered from the metrics registry (every subsystem's counters, gauges and
 * latency percentiles appear without fleet code knowing them), the supervisor's component table
 * and the fleet's own state. Full snapshots go out every `healthIntervalS`; a *significant* change
 * (a component's state or health, the link, kill switch, hand-off mode) sends one early, but not
 * more often than `healthMinGapS` — flapping parts cannot flood the broker.
 */
import { readFileSync, statfsSync } from 'node:fs';
import type { MetricsSnapshot } from '../observability/metrics.js';
import type { HealthPayload } from './topics.js';

export type HealthSnapshot = Omit<HealthPayload, 'id'>;

export interface ComponentRow {
  state: string;
  healthy: boolean;
  summary?: string;
  restarts?: number;
}

export interface HealthInputs {
  now: Date;
  uptimeS: number;
  version: string;
  bootSlot?: string;
  metrics: MetricsSnapshot;
  components: Record<string, ComponentRow>;
  queue: { depth: number; bytes: number; dropped: number };
  link: { state: string; reconnects: number };
  killSwitch: boolean;
  handoffMode: string;
  disk?: HealthPayload['disk'];
}

const round = (v: number) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : v);

export function buildHealth(i: HealthInputs): HealthSnapshot {
  const g = i.metrics.gauges;
  const histograms: HealthSnapshot['metrics']['histograms'] = {};
  for (const [k, h] of Object.entries(i.metrics.histograms)) {
    histograms[k] = { count: h.count, p50: round(h.p50), p95: round(h.p95), max: round(h.max) };
  }
  return {
    ts: i.now.toISOString(),
    uptimeS: Math.round(i.uptimeS),
    version: i.version,
    bootSlot: i.bootSlot,
    system: {
      cpuPct: g['system.cpu_pct'],
      rssMb: g['system.rss_mb'],
      heapMb: g['system.heap_mb'],
      load1: g['system.load1'],
      tempC: g['system.temp_c'],
      loopDelayP99Ms: g['system.loop_delay_p99_ms'],
    },
    disk: i.disk,
    components: i.components,
    metrics: { counters: i.metrics.counters, gauges: i.metrics.gauges, histograms },
    queue: i.queue,
    link: i.link,
    killSwitch: i.killSwitch,
    handoffMode: i.handoffMode,
  };
}

/** The part of a snapshot whose change is worth an early report. */
export function significantKey(h: HealthSnapshot): string {
  const comps = Object.entries(h.components)
    .map(([n, c]) => `${n}:${c.state}:${c.healthy}`)
    .sort()
    .join(',');
  return `${comps}|${h.link.state}|${h.killSwitch}|${h.handoffMode}`;
}

/** When to send: periodic always; on change only if the significant part differs and the gap allows. */
export class HealthThrottle {
  private lastKey = '';
  private lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly minGapMs: number) {}

  shouldSend(snapshot: HealthSnapshot, nowMs: number, periodic: boolean): boolean {
    const key = significantKey(snapshot);
    const changed = key !== this.lastKey;
    if (!periodic && (!changed || nowMs - this.lastSentAt < this.minGapMs)) return false;
    this.lastKey = key;
    this.lastSentAt = nowMs;
    return true;
  }
}

export function diskOf(path: string): HealthPayload['disk'] {
  try {
    const s = statfsSync(path);
    return {
      path,
      freeMb: Math.round((s.bavail * s.bsize) / 1048576),
      totalMb: Math.round((s.blocks * s.bsize) / 1048576),
    };
  } catch {
    return undefined;
  }
}

/** RAUC passes the booted slot on the kernel command line (`rauc.slot=A`). */
export function bootSlot(cmdlinePath = '/proc/cmdline'): string | undefined {
  try {
    return /(?:^|\s)rauc\.slot=(\S+)/.exec(readFileSync(cmdlinePath, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
