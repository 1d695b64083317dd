/**
 * The supervisor under a real NOTIFY_SOCKET (a unix datagram listener), as systemd would run it:
 * READY=1, STATUS=, WATCHDOG=1 every WATCHDOG_USEC/2 only while live, STOPPING=1 and exit 0 on
 * SIGTERM. Faults are injected through the debug hooks (stdin commands).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { NotifyListener } from '../helpers/notify-listener.js';
import { scaled } from '../helpers/time-scale.js';

const listener = new NotifyListener();
let cli: RunningCli | undefined;

afterAll(() => {
  cli?.child.kill('SIGKILL');
  listener.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Largest gap between consecutive WATCHDOG=1 pings in [from, to] (listener clock). */
function worstGap(from: number, to: number): number {
  const t = listener
    .lines('WATCHDOG=1')
    .map((m) => m.t)
    .filter((x) => x >= from && x <= to);
  let worst = 0;
  for (let i = 1; i < t.length; i++) worst = Math.max(worst, t[i] - t[i - 1]);
  return worst;
}

describe('voiceterm run under a notify socket', () => {
  it('speaks the sd_notify protocol, withholds the watchdog when not live, survives faults, stops cleanly', {
    timeout: scaled(40_000),
  }, async () => {
    await listener.start();
    const stateDir = mkdtempSync(join(tmpdir(), 'vt-state-'));
    // The timing under test scales with VOICETERM_TEST_TIME_SCALE (arm64 emulation): the lag
    // threshold through the product's config (default 250 ms), the watchdog period through systemd's
    // variable. Natively both are the defaults.
    const config = join(stateDir, 'config.yaml');
    writeFileSync(config, `supervisor:\n  maxEventLoopLagMs: ${scaled(250)}\n`);
    cli = startCli(['run', '--board', 'sim', '--config', config], {
      NOTIFY_SOCKET: listener.socketPath,
      WATCHDOG_USEC: String(scaled(200_000)),
      VOICETERM_DEBUG_HOOKS: '1',
      STATE_DIRECTORY: stateDir,
    });

    // READY=1, then STATUS= with the component list, then pings every ~100 ms.
    const ready = await listener.waitFor('READY=1', 15_000);
    const status = await listener.waitFor('STATUS=', 5000);
    expect(status.line).toMatch(/^STATUS=voiceterm \S+ /);
    expect(status.line).toContain('debug');
    await sleep(scaled(800));
    const pings = listener.lines('WATCHDOG=1').filter((m) => m.t > ready.t);
    expect(pings.length).toBeGreaterThanOrEqual(4);
    expect(worstGap(ready.t, ready.t + scaled(800))).toBeLessThan(scaled(400));

    // A component whose loop throws is restarted and reported; the process survives.
    cli.child.stdin!.write('throw\n');
    const failed = await cli.waitForLog((l) => l.component === 'debug' && l.msg === 'component failed');
    expect(failed.restartInMs).toBeGreaterThan(0);
    cli.child.stdin!.write('recover\n');
    const failedAt = cli.logs.indexOf(failed);
    await cli.waitForLog((l) => l.component === 'debug' && l.msg === 'started', 10_000, failedAt);
    await listener.waitFor('STATUS=', 5000);
    expect(cli.child.exitCode).toBeNull();

    // A blocked event loop: no ping while blocked, and the first tick after it is withheld too.
    const beforeBlock = listener.lines('WATCHDOG=1').at(-1)!.t;
    let mark = cli.logs.length;
    cli.child.stdin!.write(`block ${scaled(1200)}\n`);
    await cli.waitForLog(
      (l) => l.msg === 'liveness check failed; withholding WATCHDOG=1' && /lag/.test(String(l.reason)),
      10_000,
      mark,
    );
    await cli.waitForLog((l) => l.msg === 'liveness restored; watchdog pings resume', 10_000, mark);
    await listener.waitFor('WATCHDOG=1', 3000, listener.messages.at(-1)!.t);
    expect(worstGap(beforeBlock, Number.POSITIVE_INFINITY)).toBeGreaterThanOrEqual(scaled(1200));

    // A component loop that hangs (event loop fine): pings stop and stay stopped.
    const beforeStall = listener.lines('WATCHDOG=1').at(-1)!.t;
    mark = cli.logs.length;
    cli.child.stdin!.write('stall\n');
    await sleep(scaled(2500));
    const afterStall = listener.lines('WATCHDOG=1').filter((m) => m.t > beforeStall + scaled(1300));
    expect(afterStall).toEqual([]);
    await cli.waitForLog((l) => /loops not ticking: debug\.tick/.test(String(l.reason)), 10_000, mark);

    // SIGTERM: STOPPING=1, exit code 0 within 5 s.
    const t0 = performance.now();
    cli.child.kill('SIGTERM');
    const exit = await cli.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - t0).toBeLessThan(scaled(5000));
    await listener.waitFor('STOPPING=1', 2000);
  });
});
