/**
 * A small in-process metrics registry: counters, gauges and bounded histograms (a ring of recent
 * samples, for medians and p95 in health reports). Fleet health and benches read snapshots of it.
 */

export class Histogram {
  private readonly ring: Float64Array;
  private n = 0;
  private next = 0;

  constructor(capacity = 1024) {
    this.ring = new Float64Array(capacity);
  }

  observe(v: number): void {
    this.ring[this.next] = v;
    this.next = (this.next + 1) % this.ring.length;
    if (this.n < this.ring.length) this.n++;
  }

  get count(): number {
    return this.n;
  }

  /** Quantile over the retained samples (nearest rank); NaN when empty. */
  quantile(q: number): number {
    if (this.n === 0) return Number.NaN;
    const sorted = Array.from(this.ring.subarray(0, this.n)).sort((a, b) => a - b);
    const idx = Math.min(this.n - 1, Math.max(0, Math.ceil(q * this.n) - 1));
    return sorted[idx];
  }

  reset(): void {
    this.n = 0;
    this.next = 0;
  }
}

export interface MetricsSnapshot {
  counters: Record<string, number>;
  gauges: Record<string, number>;
  histograms: Record<string, { count: number; p50: number; p95: number; max: number }>;
}

export class MetricsRegistry {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, number>();
  private readonly histograms = new Map<string, Histogram>();

  inc(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  set(name: string, value: number): void {
    this.gauges.set(name, value);
  }

  histogram(name: string, capacity?: number): Histogram {
    let h = this.histograms.get(name);
    if (!h) {
      h = new Histogram(capacity);
      this.histograms.set(name, h);
    }
    return h;
  }

  counter(name: string): number {
    return this.counters.get(name) ?? 0;
  }

  gauge(name: string): number | undefined {
    return this.gauges.get(name);
  }

  snapshot(): MetricsSnapshot {
    const histograms: MetricsSnapshot['histograms'] = {};
    for (const [k, h] of this.histograms) {
      histograms[k] = { count: h.count, p50: h.quantile(0.5), p95: h.quantile(0.95), max: h.quantile(1) };
    }
    return {
      counters: Object.fromEntries(this.counters),
      gauges: Object.fromEntries(this.gauges),
      histograms,
    };
  }
}
