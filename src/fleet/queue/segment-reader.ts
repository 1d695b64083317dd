/**
 * Reading a queue directory back after a restart or crash: the done set, every segment's
 * records, and the highest seq ever used. A torn last line (power cut in the middle of a write)
 * is counted and cut off the newest segment, so the next append does not glue onto garbage; an
 * unparsable line elsewhere is only counted (never seen in practice: each record is one write(2)).
 */
import { closeSync, existsSync, ftruncateSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DRAIN_ORDER, type PriorityClass } from './policy.js';

export const SEG_RE = /^seg-(\d{16})\.log$/;

export function segmentName(first: number): string {
  return `seg-${String(first).padStart(16, '0')}.log`;
}

export interface StoredRecord {
  seq: number;
  /** `<queueId>-<seq>`: the dedupe id, also inside the payload for JSON consumers. */
  id: string;
  cls: PriorityClass;
  topic: string;
  payload: string;
  retain: boolean;
  /** Coalescing key: a newer message with the same key supersedes an unsent older one. */
  key?: string;
  /** MQTT 5 correlation data of a command response, base64. */
  corr?: string;
  /** Bytes of the line including its newline (its share of the queue budget). */
  size: number;
  segment: number;
}

export interface QueueDirContents {
  done: Set<number>;
  segments: { first: number; file: string }[];
  /** Records not in the done set, by seq ascending. */
  pending: StoredRecord[];
  maxSeq: number;
  tornLines: number;
  doneBytes: number;
}

function readDone(path: string): { done: Set<number>; bytes: number } {
  const done = new Set<number>();
  if (!existsSync(path)) return { done, bytes: 0 };
  const text = readFileSync(path, 'utf8');
  for (const l of text.split('\n')) {
    const n = Number(l);
    if (l && Number.isInteger(n)) done.add(n);
  }
  return { done, bytes: Buffer.byteLength(text) };
}

function toRecord(rec: Record<string, unknown>, size: number, segment: number): StoredRecord | undefined {
  const cls = rec.cls as PriorityClass;
  if (!DRAIN_ORDER.includes(cls) || !Number.isInteger(rec.seq)) return undefined;
  return {
    seq: rec.seq as number,
    id: String(rec.id),
    cls,
    topic: String(rec.topic),
    payload: String(rec.payload),
    retain: rec.retain === true,
    key: typeof rec.key === 'string' ? rec.key : undefined,
    corr: typeof rec.corr === 'string' ? rec.corr : undefined,
    size,
    segment,
  };
}

export function readQueueDir(dir: string): QueueDirContents {
  const { done, bytes: doneBytes } = readDone(join(dir, 'done.log'));
  const files = readdirSync(dir)
    .filter((f) => SEG_RE.test(f))
    .sort();
  const out: QueueDirContents = { done, segments: [], pending: [], maxSeq: 0, tornLines: 0, doneBytes };
  for (const [index, f] of files.entries()) {
    const first = Number(SEG_RE.exec(f)?.[1]);
    const file = join(dir, f);
    out.segments.push({ first, file });
    // A segment's name is the seq it was opened at: even an empty one keeps that seq used.
    out.maxSeq = Math.max(out.maxSeq, first - 1);
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    let offset = 0;
    for (const [i, line] of lines.entries()) {
      const size = Buffer.byteLength(line) + 1;
      if (line) {
        let rec: Record<string, unknown> | undefined;
        try {
          rec = JSON.parse(line);
        } catch {
          out.tornLines++;
          const isTail = i === lines.length - 1;
          if (isTail && index === files.length - 1) {
            const fd = openSync(file, 'r+');
            ftruncateSync(fd, offset);
            closeSync(fd);
          }
        }
        const r = rec && toRecord(rec, size, first);
        if (r) {
          out.maxSeq = Math.max(out.maxSeq, r.seq);
          if (!done.has(r.seq)) out.pending.push(r);
        }
      }
      offset += size;
    }
  }
  for (const s of done) out.maxSeq = Math.max(out.maxSeq, s);
  out.pending.sort((a, b) => a.seq - b.seq);
  return out;
}
