/**
 * Bundle download over HTTP(S) into `<dest>.part`, resumable with a Range request after a dropped
 * link or a reboot, with size checks before (Content-Length/Content-Range, the command's size, the
 * configured maximum, free space) and while streaming. The sha256 is checked afterwards over the
 * whole file (`verifySha256`), so a resumed download is verified exactly like a fresh one.
 */
import { createHash } from 'node:crypto';
import { createReadStream, ftruncateSync, statfsSync } from 'node:fs';
import { type FileHandle, open, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

export class DownloadError extends Error {
  constructor(
    readonly code: 'http' | 'size' | 'space' | 'network' | 'checksum',
    message: string,
    /** The partial file is useless (the server cannot resume it): delete it. */
    readonly discard = false,
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
  let url = new URL(o.url);
  for (let redirects = 0; ; redirects++) {
    const have = await sizeOf(o.partPath);
    // Opened before the request: from the response's arrival until the body listeners are attached
    // nothing may await, or a short body that ends (or breaks) early is gone before we read it.
    const file = await open(o.partPath, 'a');
    let outcome: { redirect: URL } | { size: number };
    try {
      outcome = await attempt(o, url, have, file);
    } catch (err) {
      await file.close().catch(() => {});
      if (err instanceof DownloadError && (err.code === 'size' || err.discard))
        await rm(o.partPath, { force: true });
      throw err;
    }
    await file.close();
    if ('size' in outcome) return outcome.size;
    if (redirects >= 5) throw new DownloadError('http', 'too many redirects');
    url = outcome.redirect;
  }
}

async function attempt(
  o: DownloadOptions,
  url: URL,
  have: number,
  file: FileHandle,
): Promise<{ redirect: URL } | { size: number }> {
  const res = await request(
    url,
    have > 0 ? { Range: `bytes=${have}-` } : {},
    o.signal,
    o.idleTimeoutMs ?? 30_000,
  );
  // ---- synchronous from here until writeBody() has attached its listeners ----
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400 && res.headers.location) {
    res.resume();
    return { redirect: new URL(res.headers.location, url) };
  }
  if (status === 416) {
    // Range not satisfiable: the part is already complete when its size equals the total.
    res.resume();
    const { total } = totalFromContentRange(res.headers['content-range']);
    if (total !== undefined && total === have) return { size: have };
    throw new DownloadError(
      'http',
      `server refused resume at byte ${have} (416); partial file discarded`,
      true,
    );
  }
  let start = 0;
  let total: number | undefined;
  if (status === 206) {
    const cr = totalFromContentRange(res.headers['content-range']);
    if (cr.start !== have) {
      res.resume();
      throw new DownloadError(
        'http',
        `server resumed at byte ${cr.start}, asked for ${have}; partial file discarded`,
        true,
      );
    }
    start = have;
    total = cr.total;
  } else if (status === 200) {
    const len = res.headers['content-length'];
    total = len === undefined ? undefined : Number(len);
    ftruncateSync(file.fd, 0); // a whole new body: stale partial bytes must not stay in front
  } else {
    res.resume();
    throw new DownloadError('http', `HTTP ${status} from ${url.host}${url.pathname}`);
  }
  const knownTotal = total ?? o.expectedSize;
  try {
    checkSize(knownTotal, o, start);
    checkSpace(path.dirname(o.partPath), (knownTotal ?? 0) - start, o.minFreeBytes);
  } catch (err) {
    res.destroy();
    throw err;
  }
  let received: number;
  try {
    received = await writeBody(res, file, start, knownTotal ?? o.maxBytes, (n) =>
      o.onProgress?.(n, knownTotal ?? 0),
    );
  } catch (err) {
    if (err instanceof DownloadError || (err as Error).name === 'AbortError') throw err;
    const onDisk = start + ((err as { written?: number }).written ?? 0);
    throw new DownloadError('network', `download interrupted at ${onDisk} bytes: ${(err as Error).message}`);
  }
  if (knownTotal !== undefined && received !== knownTotal) {
    throw new DownloadError('network', `download ended at ${received} of ${knownTotal} bytes`);
  }
  return { size: received };
}

/**
 * Append the response body to `file`, in order. Every chunk the socket delivered is written before
 * an error is passed on, so the next attempt resumes from all of it (a stream pipeline, or an async
 * iterator, drops the chunks still buffered when the link breaks). Reading pauses while more than
 * 1 MiB waits for the disk. Rejects with the error carrying `written` (bytes appended).
 */
function writeBody(
  res: http.IncomingMessage,
  file: FileHandle,
  start: number,
  limit: number,
  onProgress: (received: number) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let received = start;
    let written = 0;
    let pending = 0;
    let chain = Promise.resolve();
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      chain.then(
        () => reject(Object.assign(err, { written })),
        (e: Error) => reject(Object.assign(e, { written })),
      );
    };
    res.on('data', (chunk: Buffer) => {
      if (failed) return;
      received += chunk.length;
      if (received > limit) {
        res.destroy();
        fail(new DownloadError('size', `bundle larger than ${limit} bytes`));
        return;
      }
      pending += chunk.length;
      if (pending > 1 << 20) res.pause();
      chain = chain.then(async () => {
        await file.write(chunk);
        written += chunk.length;
        pending -= chunk.length;
        if (res.isPaused() && pending <= 1 << 19) res.resume();
        onProgress(start + written);
      });
      chain.catch((e: Error) => {
        res.destroy();
        fail(e);
      });
    });
    res.on('error', (err) => fail(err));
    res.on('aborted', () => fail(new Error('connection closed by the server')));
    res.on('end', () => {
      if (!failed)
        chain.then(
          () => resolve(start + written),
          (e: Error) => fail(e),
        );
    });
  });
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

/** Synchronous on purpose (one statfs call): see the note in downloadBundle(). */
function checkSpace(dir: string, bytesToCome: number, minFree: number): void {
  const fs = statfsSync(dir);
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
