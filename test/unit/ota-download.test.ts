import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DownloadError,
  downloadBundle,
  totalFromContentRange,
  verifySha256,
} from '../../src/fleet/ota/download.js';
import { type RangeServer, startRangeServer } from '../helpers/ota-range-server.js';

let server: RangeServer;
let dir: string;
let bundle: string;
let sha: string;
const SIZE = 300_000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vt-ota-dl-'));
  bundle = join(dir, 'served.raucb');
  const body = randomBytes(SIZE);
  writeFileSync(bundle, body);
  sha = createHash('sha256').update(body).digest('hex');
  server = await startRangeServer();
  server.serve('b.raucb', bundle);
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const opts = (part: string) => ({
  url: server.url('b.raucb'),
  partPath: part,
  maxBytes: 10_000_000,
  minFreeBytes: 0,
});

describe('bundle download', () => {
  it('resumes with a Range request after the link drops, and the result verifies', async () => {
    const part = join(dir, 'resume.part');
    server.ranges.length = 0;
    server.cutNext('b.raucb', 100_000);
    const err = await downloadBundle(opts(part)).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.code).toBe('network');
    const kept = statSync(part).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(SIZE);
    const progress: number[] = [];
    const size = await downloadBundle({ ...opts(part), onProgress: (got) => progress.push(got) });
    expect(size).toBe(SIZE);
    expect(server.ranges).toEqual([undefined, `bytes=${kept}-`]);
    expect(progress[0]).toBeGreaterThan(kept); // counting continues from the resumed offset
    await verifySha256(part, sha);
    expect(readFileSync(part).equals(readFileSync(bundle))).toBe(true);
  });

  it('a short body cut early is kept to the last byte (no hang, nothing dropped) and resumed', async () => {
    const small = join(dir, 'small.raucb');
    const body = randomBytes(6000);
    writeFileSync(small, body);
    server.serve('small.raucb', small);
    server.cutNext('small.raucb', 2000);
    const part = join(dir, 'small.part');
    const err = await downloadBundle({ ...opts(part), url: server.url('small.raucb') }).catch((e) => e);
    expect(err.message).toBe('download interrupted at 2000 bytes: connection closed by the server');
    expect(statSync(part).size).toBe(2000);
    expect(await downloadBundle({ ...opts(part), url: server.url('small.raucb') })).toBe(6000);
    expect(readFileSync(part).equals(body)).toBe(true);
  });

  it('a complete part file is recognised from the 416 answer', async () => {
    const part = join(dir, 'complete.part');
    writeFileSync(part, readFileSync(bundle));
    expect(await downloadBundle(opts(part))).toBe(SIZE);
  });

  it('starts over when the server ignores Range (200 with the whole file)', async () => {
    const part = join(dir, 'norange.part');
    writeFileSync(part, Buffer.alloc(1000, 7)); // stale bytes that must not stay in front
    server.ignoreRange = true;
    try {
      await downloadBundle(opts(part));
    } finally {
      server.ignoreRange = false;
    }
    await verifySha256(part, sha);
  });

  it('refuses a bundle bigger than allowed or than the command said, before writing it', async () => {
    const part = join(dir, 'big.part');
    const big = await downloadBundle({ ...opts(part), maxBytes: 1000 }).catch((e) => e);
    expect(big).toMatchObject({ code: 'size' });
    expect(big.message).toMatch(/300000 bytes, more than the 1000 allowed/);
    const wrong = await downloadBundle({ ...opts(part), expectedSize: 12 }).catch((e) => e);
    expect(wrong.message).toBe('server says 300000 bytes, the command says 12');
    expect(existsSync(part)).toBe(false);
  });

  it('refuses when the partition would run out of space', async () => {
    const err = await downloadBundle({
      ...opts(join(dir, 'space.part')),
      minFreeBytes: Number.MAX_SAFE_INTEGER,
    }).catch((e) => e);
    expect(err).toMatchObject({ code: 'space' });
    expect(err.message).toMatch(/not enough space/);
  });

  it('reports HTTP errors with the status', async () => {
    const err = await downloadBundle({
      ...opts(join(dir, 'x.part')),
      url: server.url('missing.raucb'),
    }).catch((e) => e);
    expect(err).toMatchObject({ code: 'http', message: expect.stringMatching(/^HTTP 404/) });
  });

  it('a corrupted file fails the sha256 with both hashes in the reason', async () => {
    const bad = join(dir, 'bad.raucb');
    const bytes = readFileSync(bundle);
    bytes[1234] ^= 0xff;
    writeFileSync(bad, bytes);
    const err = await verifySha256(bad, sha.toUpperCase()).catch((e) => e);
    expect(err).toMatchObject({ code: 'checksum' });
    expect(err.message).toMatch(new RegExp(`^sha256 mismatch: expected ${sha}, got [0-9a-f]{64}$`));
  });

  it('parses Content-Range forms', () => {
    expect(totalFromContentRange('bytes 10-99/100')).toEqual({ start: 10, total: 100 });
    expect(totalFromContentRange('bytes */100')).toEqual({ start: undefined, total: 100 });
    expect(totalFromContentRange('garbage')).toEqual({});
  });
});
