/**
 * A durable, append-only outbound queue for QoS 1 messages (mqtt.js keeps its store in memory and
 * loses it on exit). Files under `<stateDir>/fleet-queue/`:
 *
 *   queue-id              random id of this queue, prefix of every message id (dedupe key)
 *   seg-<firstSeq>.log    JSON lines, one message each; a new segment per process start and per
 *                         `segmentBytes`; a segment is deleted once every message in it is done
 *   done.log              seqs that are done (PUBACKed, superseded or dropped), compacted on
 *                         segment deletion
 *
 * Durability: every enqueue is a synchronous write(2) before it returns, so a process crash
 * (kill -9, OOM, exception) loses nothing that was enqueued. fsync(2) runs from `flush()`, which the
 * component calls every `fsyncIntervalMs`: a power cut can lose at most that window of messages
 * (and at worst resurrect messages acked in it, which the dedupe id absorbs). A torn last line
 * from a power cut is detected on recovery and cut off.
 *
 * Delivery is at-least-once with a dedupe id: a message is deleted only after its PUBACK; a crash
 * or disconnect between the broker's receipt and our recording of the PUBACK resends it with the
 * same `id`, which consumers use to drop duplicates.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { DRAIN_ORDER, evictableFor, type PriorityClass } from './policy.js';
import { readQueueDir, type StoredRecord, segmentName } from './segment-reader.js';

/** A message in the queue: exactly what a segment line holds (see StoredRecord). */
export type QueuedMessage = StoredRecord;

export interface EnqueueRequest {
  cls: PriorityClass;
  topic: string;
  /** Rendered with the message's dedupe id so payloads can carry it. */
  render: (id: string) => string;
  retain?: boolean;
  key?: string;
  corr?: string;
}

export interface DurableQueueOptions {
  dir: string;
  /** Budget for pending messages (sum of record sizes). */
  maxBytes: number;
  segmentBytes?: number;
}

export interface QueueStats {
  depth: number;
  bytes: number;
  inflight: number;
  dropped: number;
  superseded: number;
  recovered: number;
  tornLines: number;
}

interface Segment {
  first: number;
  file: string;
  live: number;
}

export class DurableQueue {
  readonly dir: string;
  readonly queueId: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly byClass = new Map<PriorityClass, QueuedMessage[]>(DRAIN_ORDER.map((c) => [c, []]));
  private readonly bySeq = new Map<number, QueuedMessage>();
  private readonly inflight = new Set<number>();
  private readonly segments = new Map<number, Segment>();
  private active!: Segment;
  private activeFd = -1;
  private activeSize = 0;
  private doneFd = -1;
  private doneSize = 0;
  private nextSeq = 1;
  private pendingBytes = 0;
  private dirty = false;
  private fsyncing = false;
  private counters = { dropped: 0, superseded: 0, recovered: 0, tornLines: 0 };
  /** Called when a message is dropped for lack of space (for logs and metrics). */
  onDrop: (m: { cls: PriorityClass; topic: string; id: string }) => void = () => {};

  constructor(opts: DurableQueueOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes;
    this.segmentBytes = opts.segmentBytes ?? 1 << 20;
    mkdirSync(this.dir, { recursive: true });
    this.lock();
    this.queueId = this.loadQueueId();
    this.recover();
  }

  // ---- public API ----

  /** Append a message; returns it, or undefined when the budget refused it (counted as dropped). */
  enqueue(req: EnqueueRequest): QueuedMessage | undefined {
    const seq = this.nextSeq++;
    const id = `${this.queueId}-${seq}`;
    const payload = req.render(id);
    const rec: Record<string, unknown> = {
      seq,
      id,
      cls: req.cls,
      topic: req.topic,
      payload,
      retain: req.retain ?? false,
    };
    if (req.key) rec.key = req.key;
    if (req.corr) rec.corr = req.corr;
    const line = `${JSON.stringify(rec)}\n`;
    const size = Buffer.byteLength(line);
    if (req.key) this.supersede(req.key);
    if (!this.makeRoom(req.cls, size)) {
      this.counters.dropped++;
      this.onDrop({ cls: req.cls, topic: req.topic, id });
      return undefined;
    }
    if (this.activeSize + size > this.segmentBytes && this.active.live > 0) this.rotate();
    writeAll(this.activeFd, line);
    this.activeSize += size;
    this.dirty = true;
    const msg: QueuedMessage = {
      seq,
      id,
      cls: req.cls,
      topic: req.topic,
      payload,
      retain: req.retain ?? false,
      key: req.key,
      corr: req.corr,
      size,
      segment: this.active.first,
    };
    this.track(msg);
    return msg;
  }

  /**
   * Up to `limit` messages to send next, in drain order, skipping those in flight; they are
   * marked in flight until `done()` or `resetInflight()`.
   */
  take(limit: number): QueuedMessage[] {
    const out: QueuedMessage[] = [];
    for (const cls of DRAIN_ORDER) {
      for (const m of this.byClass.get(cls) ?? []) {
        if (out.length >= limit) return out;
        if (this.inflight.has(m.seq)) continue;
        this.inflight.add(m.seq);
        out.push(m);
      }
    }
    return out;
  }

  /** The broker acknowledged (or we gave up on) this message: forget it durably. */
  done(seq: number): void {
    this.inflight.delete(seq);
    const m = this.bySeq.get(seq);
    if (!m) return;
    this.forget(m);
  }

  /** The connection dropped: everything in flight goes back to be resent. */
  resetInflight(): void {
    this.inflight.clear();
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  get depth(): number {
    return this.bySeq.size;
  }

  get bytes(): number {
    return this.pendingBytes;
  }

  /** Pending messages (oldest first per class) — for diagnostics and recovery helpers. */
  pending(): QueuedMessage[] {
    return DRAIN_ORDER.flatMap((c) => this.byClass.get(c) ?? []);
  }

  stats(): QueueStats {
    return { depth: this.depth, bytes: this.pendingBytes, inflight: this.inflight.size, ...this.counters };
  }

  /** fsync the active segment and the done log if anything was written since the last flush. */
  flush(): Promise<void> {
    if (!this.dirty || this.fsyncing) return Promise.resolve();
    this.dirty = false;
    this.fsyncing = true;
    const fds = [this.activeFd, this.doneFd];
    return Promise.all(fds.map((fd) => new Promise<void>((res) => fsync(fd, () => res())))).then(() => {
      this.fsyncing = false;
    });
  }

  close(): void {
    for (const fd of [this.activeFd, this.doneFd]) {
      if (fd < 0) continue;
      try {
        fsyncSync(fd);
      } catch {
        // closing anyway; the data was written
      }
      closeSync(fd);
    }
    this.activeFd = -1;
    this.doneFd = -1;
    try {
      unlinkSync(join(this.dir, 'lock'));
    } catch {
      // already gone
    }
  }

  // ---- internals ----

  /** One process per queue directory: a second one would interleave seqs and delete live files. */
  private lock(): void {
    const path = join(this.dir, 'lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = Number(readFileSync(path, 'utf8'));
      if (holder > 0 && holder !== process.pid && alive(holder)) {
        throw new Error(`queue ${this.dir} is in use by process ${holder}`);
      }
      unlinkSync(path); // stale: its process is gone
    }
    throw new Error(`cannot lock queue ${this.dir}`);
  }

  private loadQueueId(): string {
    const path = join(this.dir, 'queue-id');
    if (existsSync(path)) {
      const id = readFileSync(path, 'utf8').trim();
      if (/^[0-9a-f]{8,32}$/.test(id)) return id;
    }
    const id = randomBytes(6).toString('hex');
    writeFileSync(path, `${id}\n`);
    return id;
  }

  private track(m: QueuedMessage): void {
    this.byClass.get(m.cls)?.push(m);
    this.bySeq.set(m.seq, m);
    this.pendingBytes += m.size;
    const seg = this.segments.get(m.segment);
    if (seg) seg.live++;
  }

  private forget(m: QueuedMessage): void {
    const list = this.byClass.get(m.cls) ?? [];
    const i = list.indexOf(m);
    if (i >= 0) list.splice(i, 1);
    this.bySeq.delete(m.seq);
    this.inflight.delete(m.seq);
    this.pendingBytes -= m.size;
    const line = `${m.seq}\n`;
    writeAll(this.doneFd, line);
    this.doneSize += line.length;
    this.dirty = true;
    const seg = this.segments.get(m.segment);
    if (seg) {
      seg.live--;
      if (seg.live === 0 && seg !== this.active) this.dropSegment(seg);
    }
  }

  private supersede(key: string): void {
    for (const cls of DRAIN_ORDER) {
      for (const m of [...(this.byClass.get(cls) ?? [])]) {
        if (m.key === key && !this.inflight.has(m.seq)) {
          this.counters.superseded++;
          this.forget(m);
        }
      }
    }
  }

  private makeRoom(cls: PriorityClass, size: number): boolean {
    if (size > this.maxBytes) return false;
    for (const victimCls of evictableFor(cls)) {
      const list = this.byClass.get(victimCls) ?? [];
      while (this.pendingBytes + size > this.maxBytes) {
        const victim = list.find((m) => !this.inflight.has(m.seq));
        if (!victim) break;
        this.counters.dropped++;
        this.onDrop({ cls: victim.cls, topic: victim.topic, id: victim.id });
        this.forget(victim);
      }
    }
    return this.pendingBytes + size <= this.maxBytes;
  }

  private rotate(): void {
    const old = this.active;
    fsyncSync(this.activeFd);
    closeSync(this.activeFd);
    this.openSegment(this.nextSeq);
    if (old.live === 0) this.dropSegment(old);
  }

  private openSegment(first: number): void {
    const file = join(this.dir, segmentName(first));
    this.activeFd = openSync(file, 'a');
    this.activeSize = 0;
    this.active = { first, file, live: 0 };
    this.segments.set(first, this.active);
    this.syncDir();
  }

  private dropSegment(seg: Segment): void {
    this.segments.delete(seg.first);
    try {
      unlinkSync(seg.file);
    } catch {
      // already gone
    }
    this.compactDone();
  }

  /** Keep done.log small: only seqs that still refer to a segment on disk matter. */
  private compactDone(): void {
    if (this.doneSize < 64 * 1024) return;
    // Done seqs below the oldest segment on disk refer to nothing any more.
    const oldest = Math.min(...this.segments.keys());
    const keep = this.doneSeqsSince(oldest);
    const tmp = join(this.dir, 'done.log.tmp');
    writeFileSync(tmp, keep.length ? `${keep.join('\n')}\n` : '');
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    closeSync(this.doneFd);
    renameSync(tmp, join(this.dir, 'done.log'));
    this.syncDir();
    this.doneFd = openSync(join(this.dir, 'done.log'), 'a');
    this.doneSize = keep.reduce((n, s) => n + String(s).length + 1, 0);
  }

  /** Every seq in [from, nextSeq) that is not pending is done (sent, superseded or dropped). */
  private doneSeqsSince(from: number): number[] {
    const out: number[] = [];
    for (let s = from; s < this.nextSeq; s++) if (!this.bySeq.has(s)) out.push(s);
    return out;
  }

  private syncDir(): void {
    try {
      const fd = openSync(this.dir, 'r');
      fsyncSync(fd);
      closeSync(fd);
    } catch {
      // some filesystems refuse fsync on a directory; the data files are synced anyway
    }
  }

  private recover(): void {
    const found = readQueueDir(this.dir);
    this.counters.tornLines = found.tornLines;
    this.nextSeq = found.maxSeq + 1;
    const old: Segment[] = found.segments.map((x) => ({ ...x, live: 0 }));
    for (const seg of old) this.segments.set(seg.first, seg);
    // The new active segment exists before old ones are deleted: its name keeps nextSeq durable.
    this.openSegment(this.nextSeq);
    this.doneFd = openSync(join(this.dir, 'done.log'), 'a');
    this.doneSize = found.doneBytes;
    const recovered: QueuedMessage[] = found.pending;
    for (const m of recovered) {
      this.track(m);
      this.counters.recovered++;
    }
    // Coalesce what a crash left behind: the newest message per key wins.
    const newest = new Map<string, number>();
    for (const m of recovered) if (m.key) newest.set(m.key, Math.max(newest.get(m.key) ?? 0, m.seq));
    for (const m of recovered)
      if (m.key && newest.get(m.key) !== m.seq && this.bySeq.has(m.seq)) this.forget(m);
    for (const seg of old) if (seg.live === 0 && this.segments.has(seg.first)) this.dropSegment(seg);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}
