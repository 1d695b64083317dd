/** Runs the compiled CLI (dist/src/main.js) as a child process and collects its JSON log lines. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { scaled } from './time-scale.js';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'main.js');

export interface RunningCli {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /**
   * Waits for a log record matching pred among records from index `since` on (default: all);
   * timeoutMs is stretched by VOICETERM_TEST_TIME_SCALE.
   */
  waitForLog(
    pred: (r: Record<string, unknown>) => boolean,
    timeoutMs?: number,
    since?: number,
  ): Promise<Record<string, unknown>>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      logs.push(JSON.parse(l));
    } catch {
      logs.push({ raw: l });
    }
  });
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  const waitForLog = async (pred: (r: Record<string, unknown>) => boolean, nativeMs = 10_000, since = 0) => {
    const timeoutMs = scaled(nativeMs);
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = logs.slice(since).find(pred);
      if (hit) return hit;
      if (Date.now() > end) {
        throw new Error(
          `log line not seen in ${timeoutMs} ms; last lines:\n${logs
            .slice(-8)
            .map((l) => JSON.stringify(l))
            .join('\n')}\n${stderr.join('\n')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, logs, stderr, exited, waitForLog };
}
