/**
 * Bundle download over HTTP(S) into `<dest>.part`, resumable with a Range request after a dropped
 * link or a reboot, with size checks before (Content-Length/Content-Range, the command's size, the
 * configured maximum, free space) and while streaming. The sha256 is checked afterwards over the
 * whole file (`verifySha256`), so a resumed download is verified exactly like a fresh one.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat, statfs } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

export class DownloadError extends Error {
  constructor(
    readonly code: 'http' | 'size' | 'space' | 'network' | 'checksum',
    message: string,
  ) {
    super(message);
  }
}

export interface DownloadOptions {
  url: string;
  /** Partial file; it is appended to when it exists (resume). */
  partPath: string;
  /** Bytes the command says the bundle has (optional, checked when given). */
  expectedSize?: number;
  maxBytes: number;
  /** Free space to leave on the partition after the bundle is stored. */
  minFreeBytes: number;
  signal?: AbortSignal;
  onProgress?: (received: number, total: number) => void;
  /** Give up on a connection that sends nothing for this long. */
  idleTimeoutMs?: number;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

function request(
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
  idleMs: number,
): Promise<http.IncomingMessage> {
  const mod = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
  if (!mod) return Promise.reject(new DownloadError('http', `unsupported URL scheme ${url.protocol}`));
  return new Promise((resolve, reject) => {
    const req = mod.get(url, { headers, signal, timeout: idleMs }, resolve);
    req.on('timeout', () =>
      req.destroy(new DownloadError('network', `no data from ${url.host} for ${idleMs} ms`)),
    );
    req.on('error', (err) =>
      reject(
        err instanceof DownloadError ? err : new DownloadError('network', `${url.host}: ${err.message}`),
      ),
    );
  });
}

/** Total size from `Content-Range: bytes a-b/total` or `bytes *\/total`. */
export function totalFromContentRange(header: string | undefined): { start?: number; total?: number } {
  const m = /^bytes (?:(\d+)-\d+|\*)\/(\d+|\*)$/.exec(header ?? '');
  if (!m) return {};
  return {
    start: m[1] === undefined ? undefined : Number(m[1]),
    total: m[2] === '*' ? undefined : Number(m[2]),
  };
}

/** Download (or finish downloading) `url` into `partPath`; resolves with the file's size. */
export async function downloadBundle(o: DownloadOptions): Promise<number> {
  const idleMs = o.idleTimeoutMs ?? 30_000;
  let url = new URL(o.url);
  for (let redirects = 0; ; redirects++) {
    const have = await sizeOf(o.partPath);
    const res = await request(url, have > 0 ? { Range: `bytes=${have}-` } : {}, o.signal, idleMs);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (redirects >= 5) throw new DownloadError('http', 'too many redirects');
      url = new URL(res.headers.location, url);
      continue;
    }
    if (status === 416) {
      // Range not satisfiable: the part is already complete when its size equals the total.
      res.resume();
      const { total } = totalFromContentRange(res.headers['content-range']);
      if (total !== undefined && total === have) return have;
      await rm(o.partPath, { force: true });
      throw new DownloadError('http', `server refused resume at byte ${have} (416); partial file discarded`);
    }
    let start = 0;
    let total: number | undefined;
    if (status === 206) {
      const cr = totalFromContentRange(res.headers['content-range']);
      if (cr.start !== have) {
        res.resume();
        await rm(o.partPath, { force: true });
        throw new DownloadError(
          'http',
          `server resumed at byte ${cr.start}, asked for ${have}; partial file discarded`,
        );
      }
      start = have;
      total = cr.total;
    } else if (status === 200) {
      const len = res.headers['content-length'];
      total = len === undefined ? undefined : Number(len);
    } else {
      res.resume();
      throw new DownloadError('http', `HTTP ${status} from ${url.host}${url.pathname}`);
    }
    const knownTotal = total ?? o.expectedSize;
    checkSize(knownTotal, o, start);
    await checkSpace(path.dirname(o.partPath), (knownTotal ?? 0) - start, o.minFreeBytes);

    let received = start;
    const limit = knownTotal ?? o.maxBytes;
    // Chunk by chunk with awaited writes: whatever arrived before a dropped link is on disk, so the
    // next attempt resumes from it (a stream pipeline would discard buffered chunks on error).
    const file = await open(o.partPath, start > 0 ? 'a' : 'w');
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > limit) {
          res.destroy();
          await file.close();
          await rm(o.partPath, { force: true });
          throw new DownloadError('size', `bundle larger than ${limit} bytes`);
        }
        await file.write(chunk);
        o.onProgress?.(received, knownTotal ?? 0);
      }
    } catch (err) {
      if (err instanceof DownloadError || (err as Error).name === 'AbortError') throw err;
      throw new DownloadError(
        'network',
        `download interrupted at ${received} bytes: ${(err as Error).message}`,
      );
    } finally {
      await file.close().catch(() => {});
    }
    if (knownTotal !== undefined && received !== knownTotal) {
      throw new DownloadError('network', `download ended at ${received} of ${knownTotal} bytes`);
    }
    return received;
  }
}

function checkSize(total: number | undefined, o: DownloadOptions, start: number): void {
  if (total === undefined) return;
  if (total > o.maxBytes)
    throw new DownloadError(
      'size',
      `bundle is ${total} bytes, more than the ${o.maxBytes} allowed (update.maxBundleMb)`,
    );
  if (o.expectedSize !== undefined && total !== o.expectedSize) {
    throw new DownloadError('size', `server says ${total} bytes, the command says ${o.expectedSize}`);
  }
  if (start > total)
    throw new DownloadError('size', `partial file (${start} bytes) is larger than the bundle (${total})`);
}

async function checkSpace(dir: string, bytesToCome: number, minFree: number): Promise<void> {
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (free - bytesToCome < minFree) {
    throw new DownloadError(
      'space',
      `not enough space in ${dir}: ${Math.floor(free / 1e6)} MB free, bundle needs ${Math.ceil(bytesToCome / 1e6)} MB + ${Math.ceil(minFree / 1e6)} MB reserve`,
    );
  }
}

/** sha256 of a file, hex. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file), h);
  return h.digest('hex');
}

/** Throws DownloadError('checksum') when the file's sha256 is not `expected` (hex, any case). */
export async function verifySha256(file: string, expected: string): Promise<void> {
  const got = await sha256File(file);
  if (got !== expected.toLowerCase()) {
    throw new DownloadError('checksum', `sha256 mismatch: expected ${expected.toLowerCase()}, got ${got}`);
  }
}
