/**
 * Moves messages from the durable queue to the link: at most `inflight` unacknowledged at once,
 * paced by a token bucket (`perS`) so a long backlog after an outage does not flood the broker or
 * starve the audio path; a message leaves the queue only on PUBACK. When the link drops, whatever
 * was in flight goes back to be resent in order.
 */

import type { FleetLink } from './link.js';
import type { DurableQueue } from './queue/durable-queue.js';

export class Drainer {
  private tokens: number;
  private lastRefill = performance.now();
  private generation = 0;
  sent = 0;
  acked = 0;

  constructor(
    private readonly queue: DurableQueue,
    private readonly link: FleetLink,
    private readonly opts: { perS: number; inflight: number },
    private readonly onError: (err: unknown) => void,
  ) {
    this.tokens = opts.inflight;
  }

  /** The link dropped: resend everything unacknowledged after the next connect. */
  linkDown(): void {
    this.generation++;
    this.queue.resetInflight();
  }

  pump(): void {
    if (this.link.state !== 'online') return;
    const now = performance.now();
    this.tokens = Math.min(
      this.opts.inflight,
      this.tokens + ((now - this.lastRefill) / 1000) * this.opts.perS,
    );
    this.lastRefill = now;
    const room = Math.min(Math.floor(this.tokens), this.opts.inflight - this.queue.inflightCount);
    if (room <= 0) return;
    const batch = this.queue.take(room);
    this.tokens -= batch.length;
    const generation = this.generation;
    for (const m of batch) {
      this.sent++;
      this.link.send({ topic: m.topic, payload: m.payload, retain: m.retain, corr: m.corr, id: m.id }).then(
        () => {
          // A PUBACK is a PUBACK even from a connection that has since dropped.
          this.acked++;
          try {
            this.queue.done(m.seq);
          } catch (err) {
            this.onError(err);
          }
          if (generation === this.generation) this.pump();
        },
        () => {
          // Not acknowledged: it stays queued and goes again after the next connect.
        },
      );
    }
  }
}
