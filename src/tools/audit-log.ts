/**
 * The tool audit log: append-only JSON lines on disk, one per tool call (arguments redacted,
 * decision, result, duration). Each entry carries the previous entry's hash and its own
 * (sha256 over prev + the entry), so editing, deleting or reordering lines breaks the chain and
 * `verifyAuditChain` finds where. Rotated by size (audit.jsonl → audit.jsonl.1 → …); the chain
 * continues across files.
 *
 * Writes are serialised on one promise chain (order on disk = order of calls). A failed write
 * degrades, never throws: the entry stays in memory and is retried with the next one.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface AuditEntry {
  tool: string;
  callId: string;
  decision: 'allow' | 'confirm' | 'deny';
  /** confirmed / declined / not asked. */
  confirmation?: 'yes' | 'no' | 'timeout' | 'unclear';
  args: unknown;
  outcome: 'ok' | 'error' | 'denied' | 'declined' | 'invalid';
  result?: unknown;
  error?: string;
  attempts: number;
  durationMs: number;
  session?: string;
}

export interface AuditLogOptions {
  dir: string;
  maxBytes: number;
  keepFiles: number;
  onError?: (err: unknown) => void;
}

const GENESIS = '0'.repeat(64);
export const AUDIT_FILE = 'audit.jsonl';

export function entryHash(prev: string, body: string): string {
  return createHash('sha256').update(prev).update('\n').update(body).digest('hex');
}

export class AuditLog {
  private prev = GENESIS;
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly backlog: string[] = [];
  private loaded = false;
  failures = 0;
  written = 0;

  constructor(private readonly o: AuditLogOptions) {}

  get path(): string {
    return join(this.o.dir, AUDIT_FILE);
  }

  /** Append one entry; resolves when it is on disk (or kept for retry after an I/O error). */
  append(entry: AuditEntry): Promise<void> {
    this.chain = this.chain.then(() => this.write(entry));
    return this.chain;
  }

  private async load(): Promise<void> {
    await mkdir(this.o.dir, { recursive: true });
    for (const name of [AUDIT_FILE, `${AUDIT_FILE}.1`]) {
      const text = await readFile(join(this.o.dir, name), 'utf8').catch(() => '');
      const last = text.trimEnd().split('\n').at(-1);
      if (!last) continue;
      try {
        const e = JSON.parse(last) as { hash: string; seq: number };
        this.prev = e.hash;
        this.seq = e.seq;
        break;
      } catch {
        // A torn last line (power loss mid-write): the next entry chains to the last good one is
        // not knowable here; verification will point at this line.
      }
    }
    this.loaded = true;
  }

  private async write(entry: AuditEntry): Promise<void> {
    try {
      if (!this.loaded) await this.load();
      const body = JSON.stringify({
        seq: this.seq + 1,
        ts: new Date().toISOString(),
        prev: this.prev,
        ...entry,
      });
      const hash = entryHash(this.prev, body);
      const line = `${body.slice(0, -1)},"hash":"${hash}"}\n`;
      this.seq++;
      this.prev = hash;
      this.backlog.push(line);
      await this.rotateIfNeeded(this.backlog.join('').length);
      await appendFile(this.path, this.backlog.join(''), { mode: 0o600 });
      this.written += this.backlog.length;
      this.backlog.length = 0;
    } catch (err) {
      this.failures++;
      if (this.backlog.length > 1000) this.backlog.shift();
      this.o.onError?.(err);
    }
  }

  private async rotateIfNeeded(incoming: number): Promise<void> {
    const size = await stat(this.path).then(
      (s) => s.size,
      () => 0,
    );
    if (size === 0 || size + incoming <= this.o.maxBytes) return;
    await rm(join(this.o.dir, `${AUDIT_FILE}.${this.o.keepFiles}`), { force: true });
    for (let i = this.o.keepFiles - 1; i >= 1; i--) {
      await rename(join(this.o.dir, `${AUDIT_FILE}.${i}`), join(this.o.dir, `${AUDIT_FILE}.${i + 1}`)).catch(
        () => {},
      );
    }
    await rename(this.path, join(this.o.dir, `${AUDIT_FILE}.1`));
  }

  /** Wait for queued writes. */
  flush(): Promise<void> {
    return this.chain;
  }
}

export interface ChainVerdict {
  ok: boolean;
  entries: number;
  /** 1-based line (across the given texts, oldest first) where the chain breaks. */
  brokenAt?: number;
  reason?: string;
}

/**
 * Check the hash chain over the log's files, oldest first. The very first entry may point at a
 * file rotated away; from then on every entry must chain to the one before it.
 */
export function verifyAuditChain(texts: string[]): ChainVerdict {
  let prev: string | undefined;
  let n = 0;
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (!line) continue;
      n++;
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(line);
      } catch {
        return { ok: false, entries: n, brokenAt: n, reason: 'not JSON' };
      }
      const { hash, ...rest } = e;
      if (prev !== undefined && rest.prev !== prev)
        return { ok: false, entries: n, brokenAt: n, reason: 'prev does not match the entry before' };
      if (entryHash(String(rest.prev), JSON.stringify(rest)) !== hash)
        return { ok: false, entries: n, brokenAt: n, reason: 'hash does not match the entry' };
      prev = String(hash);
    }
  }
  return { ok: true, entries: n };
}

/** The log's files, oldest first (for verifyAuditChain). */
export async function readAuditFiles(dir: string, keepFiles: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = keepFiles; i >= 1; i--) {
    const t = await readFile(join(dir, `${AUDIT_FILE}.${i}`), 'utf8').catch(() => undefined);
    if (t !== undefined) out.push(t);
  }
  out.push(await readFile(join(dir, AUDIT_FILE), 'utf8').catch(() => ''));
  return out;
}
