/**
 * Test/bench load generator, only with VOICETERM_DEBUG_HOOKS=1 and
 * VOICETERM_FLEET_SYNTHETIC_EVENTS_PER_S=N: publishes `synthetic` events numbered 1, 2, 3… across
 * restarts, so a subscriber can count losses and duplicates. The number survives a crash exactly:
 * the counter file is written right after the (synchronous) enqueue, and on start the highest `n`
 * still pending in the queue wins over the file — kill -9 between the two cannot renumber. The file
 * is replaced atomically (state-store's tmp + fsync + rename), never rewritten in place: a kill -9
 * inside writeFileSync (truncate, then write) left it empty — seen under arm64 emulation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetPublisher } from './publisher.js';
import type { DurableQueue } from './queue/durable-queue.js';
import { writeJsonAtomic } from './state-store.js';

export function syntheticRate(env: NodeJS.ProcessEnv): number {
  if (env.VOICETERM_DEBUG_HOOKS !== '1') return 0;
  const n = Number(env.VOICETERM_FLEET_SYNTHETIC_EVENTS_PER_S ?? 0);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

export class SyntheticEvents {
  private n: number;
  private readonly file: string;

  constructor(
    stateDir: string,
    queue: DurableQueue,
    private readonly publisher: FleetPublisher,
  ) {
    this.file = join(stateDir, 'fleet-synthetic-n');
    let fromFile = 0;
    try {
      fromFile = Number(readFileSync(this.file, 'utf8')) || 0;
    } catch {
      // first run
    }
    let fromQueue = 0;
    for (const m of queue.pending()) {
      if (!m.payload.includes('"kind":"synthetic"')) continue;
      const n = (JSON.parse(m.payload) as { data?: { n?: number } }).data?.n ?? 0;
      fromQueue = Math.max(fromQueue, n);
    }
    this.n = Math.max(fromFile, fromQueue);
  }

  tick(): void {
    const n = this.n + 1;
    const msg = this.publisher.event('synthetic', { n, text: 'card 4111 1111 1111 1111 for order' });
    if (!msg) return;
    this.n = n;
    writeJsonAtomic(this.file, n);
  }
}
