import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableQueue, type EnqueueRequest } from '../../src/fleet/queue/durable-queue.js';
import { evictableFor } from '../../src/fleet/queue/policy.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'vt-queue-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ev = (n: number, extra: Partial<EnqueueRequest> = {}): EnqueueRequest => ({
  cls: 'event',
  topic: 'vt/d/events',
  render: (id) => JSON.stringify({ id, n }),
  ...extra,
});

describe('DurableQueue', () => {
  it('survives a crash (no close) with every unacked message, in order, with the same ids', () => {
    const dir = tmp();
    const q = new DurableQueue({ dir, maxBytes: 1 << 20 });
    const ids = [1, 2, 3, 4].map((n) => q.enqueue(ev(n))?.id);
    const [first] = q.take(1);
    q.done(first.seq);
    // No close(): the process "crashed". A new process finds the lock stale (same pid here).
    const q2 = new DurableQueue({ dir, maxBytes: 1 << 20 });
    expect(q2.pending().map((m) => JSON.parse(m.payload).n)).toEqual([2, 3, 4]);
    expect(q2.pending().map((m) => m.id)).toEqual(ids.slice(1));
    const next = q2.enqueue(ev(5));
    expect(next?.seq).toBe(5);
    q2.close();
  });

  it('drains response before audit before event before health, FIFO inside a class', () => {
    const q = new DurableQueue({ dir: tmp(), maxBytes: 1 << 20 });
    q.enqueue(ev(1, { cls: 'health', key: 'health' }));
    q.enqueue(ev(2));
    q.enqueue(ev(3, { cls: 'audit' }));
    q.enqueue(ev(4));
    q.enqueue(ev(5, { cls: 'response' }));
    expect(q.take(10).map((m) => JSON.parse(m.payload).n)).toEqual([5, 3, 2, 4, 1]);
    expect(q.take(10)).toEqual([]); // all in flight
    q.resetInflight();
    expect(q.take(2).map((m) => JSON.parse(m.payload).n)).toEqual([5, 3]);
    q.close();
  });

  it('coalesces health snapshots that were not sent yet, also across a restart', () => {
    const dir = tmp();
    const q = new DurableQueue({ dir, maxBytes: 1 << 20 });
    q.enqueue(ev(1, { cls: 'health', key: 'health' }));
    q.enqueue(ev(2, { cls: 'health', key: 'health' }));
    expect(q.depth).toBe(1);
    const [inflight] = q.take(1); // n=2 on the wire: a newer one must not cancel it
    q.enqueue(ev(3, { cls: 'health', key: 'health' }));
    expect(q.pending().map((m) => JSON.parse(m.payload).n)).toEqual([2, 3]);
    expect(inflight.seq).toBe(2);
    const q2 = new DurableQueue({ dir, maxBytes: 1 << 20 });
    expect(q2.pending().map((m) => JSON.parse(m.payload).n)).toEqual([3]);
    q2.close();
  });

  it('under the byte budget drops health first, then the oldest events, never audit for an event', () => {
    const q = new DurableQueue({ dir: tmp(), maxBytes: 1000 });
    const big = (n: number, cls: EnqueueRequest['cls']) =>
      ev(n, { cls, render: (id) => JSON.stringify({ id, n, pad: 'x'.repeat(150) }) });
    q.enqueue(big(1, 'audit'));
    q.enqueue(big(2, 'health'));
    q.enqueue(big(3, 'event'));
    q.enqueue(big(4, 'event'));
    q.enqueue(big(5, 'event'));
    q.enqueue(big(6, 'event'));
    const left = q.pending().map((m) => JSON.parse(m.payload).n);
    expect(left).toContain(1);
    expect(left).not.toContain(2);
    expect(left).not.toContain(3);
    expect(left).toContain(6);
    expect(q.bytes).toBeLessThanOrEqual(1000);
    expect(q.stats().dropped).toBeGreaterThanOrEqual(2);
    expect(evictableFor('health')).toEqual(['health']);
    q.close();
  });

  it('deletes a segment once every message in it is acknowledged, and keeps seqs increasing', () => {
    const dir = tmp();
    const q = new DurableQueue({ dir, maxBytes: 1 << 20, segmentBytes: 4096 });
    for (let n = 1; n <= 200; n++) q.enqueue(ev(n));
    const segs = () => readdirSync(dir).filter((f) => f.startsWith('seg-'));
    expect(segs().length).toBeGreaterThan(2);
    for (const m of q.take(1000)) q.done(m.seq);
    expect(segs().length).toBe(1);
    q.close();
    const q2 = new DurableQueue({ dir, maxBytes: 1 << 20 });
    expect(q2.depth).toBe(0);
    expect(q2.enqueue(ev(201))?.seq).toBe(201);
    q2.close();
  });

  it('cuts a torn last line (power cut mid-write) and keeps the good records', () => {
    const dir = tmp();
    const q = new DurableQueue({ dir, maxBytes: 1 << 20 });
    q.enqueue(ev(1));
    q.enqueue(ev(2));
    q.close();
    const seg = readdirSync(dir).find((f) => f.startsWith('seg-')) as string;
    appendFileSync(join(dir, seg), '{"seq":3,"id":"x-3","cls":"ev');
    const q2 = new DurableQueue({ dir, maxBytes: 1 << 20 });
    expect(q2.pending().map((m) => JSON.parse(m.payload).n)).toEqual([1, 2]);
    expect(q2.stats().tornLines).toBe(1);
    expect(readFileSync(join(dir, seg), 'utf8').endsWith('\n')).toBe(true);
    q2.close();
  });

  it('never truncates good records after a bad line in the middle of a segment', () => {
    const dir = tmp();
    const q = new DurableQueue({ dir, maxBytes: 1 << 20 });
    q.enqueue(ev(1));
    q.close();
    const seg = readdirSync(dir).find((f) => f.startsWith('seg-')) as string;
    const good = readFileSync(join(dir, seg), 'utf8');
    const second = good.replace('"seq":1', '"seq":2').replace('-1"', '-2"').replace('"n":1', '"n":2');
    writeFileSync(join(dir, seg), `${good}garbage\n${second}`);
    const q2 = new DurableQueue({ dir, maxBytes: 1 << 20 });
    expect(q2.pending().map((m) => m.seq)).toEqual([1, 2]);
    expect(q2.stats().tornLines).toBe(1);
    expect(readFileSync(join(dir, seg), 'utf8')).toContain(second);
    q2.close();
  });

  it('refuses a second live process on the same directory', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'lock'), '1'); // pid 1 is alive
    expect(() => new DurableQueue({ dir, maxBytes: 1 << 20 })).toThrow(/in use by process 1/);
  });
});
