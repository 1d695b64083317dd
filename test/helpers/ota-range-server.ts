/**
 * A small real HTTP server for OTA tests: serves files from a map with Range support (206 +
 * Content-Range, 416), and can be told to cut a response after N bytes (a dropped link) or to
 * ignore Range (an old proxy answering 200 with the whole file).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RangeServer {
  url(name: string): string;
  /** Serve `name` with the contents of `file` (read at request time). */
  serve(name: string, file: string): void;
  /** The next response for `name` is cut after `bytes` bytes. */
  cutNext(name: string, bytes: number): void;
  ignoreRange: boolean;
  /** Range headers received, in order (undefined = none). */
  ranges: Array<string | undefined>;
  close(): Promise<void>;
}

export async function startRangeServer(): Promise<RangeServer> {
  const files = new Map<string, string>();
  const cuts = new Map<string, number>();
  const state = { ignoreRange: false, ranges: [] as Array<string | undefined> };
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1));
    const file = files.get(name);
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = readFileSync(file);
    const range = state.ignoreRange ? undefined : req.headers.range;
    state.ranges.push(req.headers.range);
    let start = 0;
    if (range) {
      start = Number(/^bytes=(\d+)-$/.exec(range)?.[1] ?? 0);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'Content-Length': body.length - start,
        'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`,
      });
    } else {
      res.writeHead(200, { 'Content-Length': body.length });
    }
    const cut = cuts.get(name);
    if (cut !== undefined) {
      cuts.delete(name);
      res.write(body.subarray(start, start + cut), () => res.destroy());
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (name) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}`,
    serve: (name, file) => files.set(name, file),
    cutNext: (name, bytes) => cuts.set(name, bytes),
    get ignoreRange() {
      return state.ignoreRange;
    },
    set ignoreRange(v: boolean) {
      state.ignoreRange = v;
    },
    ranges: state.ranges,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
