/**
 * A NOTIFY_SOCKET for tests: a unix datagram socket that records every sd_notify message with its
 * arrival time. Node cannot bind AF_UNIX datagram sockets (dgram has no unix type), so a tiny
 * python3 child binds it and prints one JSON line per datagram.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { scaled } from './time-scale.js';

const LISTENER = `
import json, os, socket, sys, time
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print(json.dumps({"ready": True}), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps({"t": time.monotonic(), "msg": data.decode("utf-8", "replace")}), flush=True)
`;

export interface NotifyMessage {
  /** Arrival time, ms on the listener's monotonic clock. */
  t: number;
  /** One KEY=VALUE assignment (a datagram with several lines is split). */
  line: string;
}

export class NotifyListener {
  readonly socketPath: string;
  readonly messages: NotifyMessage[] = [];
  private readonly dir: string;
  private child?: ChildProcess;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'vt-notify-'));
    this.socketPath = join(this.dir, 'notify.sock');
  }

  async start(): Promise<void> {
    const child = spawn('python3', ['-c', LISTENER, this.socketPath], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    const rl = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`notify listener exited (${code})`)));
      rl.on('line', (l) => {
        const rec = JSON.parse(l) as { ready?: boolean; t?: number; msg?: string };
        if (rec.ready) return resolve();
        for (const line of (rec.msg ?? '').split('\n'))
          if (line) this.messages.push({ t: (rec.t ?? 0) * 1000, line });
      });
    });
  }

  lines(prefix: string): NotifyMessage[] {
    return this.messages.filter((m) => m.line.startsWith(prefix));
  }

  /** The first message starting with prefix after `after`; timeoutMs × VOICETERM_TEST_TIME_SCALE. */
  async waitFor(prefix: string, nativeMs = 10_000, after = -Infinity): Promise<NotifyMessage> {
    const timeoutMs = scaled(nativeMs);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages.find((x) => x.line.startsWith(prefix) && x.t > after);
      if (m) return m;
      if (Date.now() > deadline)
        throw new Error(
          `no ${prefix} within ${timeoutMs} ms; got: ${this.messages.map((x) => x.line).join(' | ')}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The listener's monotonic clock now (ms), from the last message or a fresh probe. */
  stop(): void {
    this.child?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
