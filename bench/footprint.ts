/**
 * `npm run bench -- footprint [--quick] [--starts N] [--minutes M]`
 *
 * The terminal's footprint against targets.md, on its embedded defaults (board `sim`: room simulator
 * playing the demo conversation, front-end on every frame, offline flow, fleet without a broker):
 *  - cold start: spawn `voiceterm run` under a NOTIFY_SOCKET → READY=1, N times (median, p95);
 *  - soak: one run for M minutes, RSS (VmRSS) sampled every second. `rss_mb_steady` is the median
 *    over the second half (after start-up and the first demo loop); `rss_growth_mb_per_hour` is the
 *    least-squares slope over that half. The room simulator is paced in real time, so an M-minute
 *    soak is M simulated minutes; the slope is extrapolated to an hour.
 * Node cannot bind AF_UNIX datagram sockets, so a tiny python3 child is the notify socket.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js');

/** Prints one line per datagram that carries READY=1 (after printing "bound"). */
const READY_LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    if b"READY=1" in s.recv(65536).split(b"\\n"):
        print("ready", flush=True)
`;

interface Terminal {
  child: ChildProcess;
  ready: Promise<number>;
  stop(): Promise<void>;
}

async function startTerminal(work: string, n: number): Promise<Terminal> {
  const sock = join(work, `notify-${n}.sock`);
  const listener = spawn('python3', ['-c', READY_LISTENER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: listener.stdout! });
  const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
  if ((await next()) !== 'bound') throw new Error('notify listener did not start');
  const t0 = performance.now();
  const child = spawn(process.execPath, [MAIN, 'run'], {
    env: { ...process.env, NOTIFY_SOCKET: sock, STATE_DIRECTORY: join(work, `state-${n}`) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = Promise.race([
    next().then(() => performance.now() - t0),
    exited.then(() => {
      throw new Error('voiceterm run exited before READY=1');
    }),
  ]);
  return {
    child,
    ready,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 6000))]);
      child.kill('SIGKILL');
      listener.kill('SIGKILL');
    },
  };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
};

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den > 0 ? num / den : 0;
}

const MIN_SOAK_MINUTES_FOR_GROWTH = 5;

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  const opt = (name: string, dflt: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const starts = opt('--starts', quick ? 3 : 7);
  const minutes = opt('--minutes', quick ? 0.5 : 10);
  const work = mkdtempSync(join(tmpdir(), 'vt-footprint-'));
  try {
    const startMs: number[] = [];
    for (let i = 0; i < starts; i++) {
      const t = await startTerminal(work, i);
      try {
        startMs.push(await t.ready);
      } finally {
        await t.stop();
      }
      console.error(`footprint: start ${i + 1}/${starts}: READY=1 after ${round(startMs[i])} ms`);
    }

    const t = await startTerminal(work, starts);
    const times: number[] = [];
    const rss: number[] = [];
    try {
      await t.ready;
      const t0 = performance.now();
      const endAt = t0 + minutes * 60_000;
      while (performance.now() < endAt) {
        await new Promise((r) => setTimeout(r, 1000));
        times.push((performance.now() - t0) / 3_600_000);
        rss.push(rssMb(t.child.pid!));
        if (rss.length % 60 === 0) console.error(`footprint: ${rss.length} s, RSS ${round(rss.at(-1)!)} MB`);
      }
    } finally {
      await t.stop();
    }
    const half = Math.floor(rss.length / 2);
    const late = rss.slice(half);
    return {
      cold_start_ms_p50: round(quantile(startMs, 0.5)),
      cold_start_ms_p95: round(quantile(startMs, 0.95)),
      starts,
      rss_mb_steady: round(quantile(late, 0.5)),
      rss_mb_max: round(Math.max(...rss)),
      // A slope over less than a few minutes is start-up settling, not growth: not reported.
      rss_growth_mb_per_hour:
        minutes >= MIN_SOAK_MINUTES_FOR_GROWTH ? round(slope(times.slice(half), late), 2) : null,
      soak_minutes: minutes,
      targets: { cold_start_ms: 3000, rss_mb: 150, growth_mb_per_hour: 2 },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
