/**
 * deploy/systemd: the unit passes `systemd-analyze verify` with the bundle's layout under a scratch
 * root; the service user is created by the real systemd-sysusers; the D-Bus policy is accepted by a
 * real dbus-daemon; and the unit's own ExecStart, run with the environment systemd would give it
 * (its Environment= lines, WATCHDOG_USEC from WatchdogSec=, the *_DIRECTORY variables, nothing
 * inherited from the test), reaches READY=1 on a notify socket, pings the watchdog and stops cleanly
 * on the unit's kill signal.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotifyListener } from '../helpers/notify-listener.js';
import { scaled, TIME_SCALE } from '../helpers/time-scale.js';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');
const UNIT_DIR = join(REPO, 'deploy', 'systemd');
const UNIT = join(UNIT_DIR, 'voiceterm.service');
/** Where the device bundle installs; the unit names it literally. */
const PREFIX = '/opt/voiceterm';

/** [Section] → key → values (a key may repeat, e.g. Environment=). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`unit line outside a section or without '=': ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

/** systemd time span ("20s", "1min", "500ms") → microseconds. */
function timespanUsec(v: string): number {
  const m = /^(\d+)\s*(us|ms|s|min|)$/.exec(v);
  if (!m) throw new Error(`unsupported time span ${v}`);
  const mult = { us: 1, ms: 1e3, s: 1e6, min: 60e6, '': 1e6 }[m[2] as 'us'];
  return Number(m[1]) * mult;
}

const unit = parseUnit(readFileSync(UNIT, 'utf8'));
const service = unit.get('Service')!;
const one = (key: string) => {
  const v = service.get(key);
  if (v?.length !== 1) throw new Error(`[Service] ${key}= expected exactly once`);
  return v[0];
};

describe('voiceterm.service', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'vt-deploy-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('declares what the issue requires', () => {
    expect(one('Type')).toBe('notify');
    expect(one('NotifyAccess')).toBe('main');
    expect(timespanUsec(one('WatchdogSec'))).toBeGreaterThan(0);
    expect(one('Restart')).toBe('on-failure');
    expect(unit.get('Unit')!.get('StartLimitAction')?.[0]).toMatch(/^(reboot|reboot-force|poweroff)$/);
    expect(one('User')).toBe('voiceterm');
    expect(one('SupplementaryGroups').split(/\s+/)).toContain('audio');
    for (const k of ['StateDirectory', 'LogsDirectory', 'ConfigurationDirectory'])
      expect(one(k)).toBe('voiceterm');
    for (const k of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp']) expect(one(k)).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('RestrictAddressFamilies').split(/\s+/).sort()).toEqual([
      'AF_INET',
      'AF_INET6',
      'AF_NETLINK',
      'AF_UNIX',
    ]);
    expect(one('CapabilityBoundingSet')).toBe('');
    // V8's JIT needs W+X pages: this setting kills node.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
  });

  /** A scratch root holding the host's systemd units, ours, and the bundle's layout for ExecStart. */
  let verifyRoot: string | undefined;
  function analyzeRoot(): string {
    if (verifyRoot) return verifyRoot;
    const root = join(scratch, 'verify-root');
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
    // verify resolves dependencies (multi-user.target, sysinit.target…) inside --root: give it the host's units
    cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), {
      recursive: true,
      dereference: false,
    });
    cpSync(UNIT, join(root, 'etc/systemd/system/voiceterm.service'));
    // ExecStart's binary must exist and be executable inside the root
    const exe = one('ExecStart').split(/\s+/)[0];
    mkdirSync(join(root, exe, '..'), { recursive: true });
    writeFileSync(join(root, exe), '#!/bin/sh\n');
    chmodSync(join(root, exe), 0o755);
    verifyRoot = root;
    return root;
  }

  it('passes systemd-analyze verify (bundle layout under a scratch root)', async () => {
    const { stdout, stderr } = await run('systemd-analyze', [
      'verify',
      `--root=${analyzeRoot()}`,
      '--man=no',
      'voiceterm.service',
    ]);
    // warnings (unknown keys, bad values) are printed but do not change the exit status: demand silence
    expect(stdout + stderr).toBe('');
  });

  it('keeps its sandbox: systemd-analyze security rates the exposure low', async () => {
    const { stdout } = await run('systemd-analyze', [
      'security',
      '--offline=yes',
      `--root=${analyzeRoot()}`,
      '--no-pager',
      'voiceterm.service',
    ]);
    // 0 = fully locked down … 10 = unprotected; 1.9 when written. A loosened sandbox shows up here.
    const level = Number(/Overall exposure level for voiceterm\.service: ([\d.]+)/.exec(stdout)?.[1]);
    expect(level).toBeLessThanOrEqual(2.5);
  });

  it('creates its user in group audio with the real systemd-sysusers', async () => {
    const root = join(scratch, 'sysusers-root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\naudio:x:29:\n');
    await run('systemd-sysusers', [`--root=${root}`, join(UNIT_DIR, 'voiceterm.sysusers.conf')]);
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toMatch(
      /^voiceterm:x:\d+:\d+:[^:]*:\/var\/lib\/voiceterm:\/usr\/sbin\/nologin$/m,
    );
    expect(readFileSync(join(root, 'etc/group'), 'utf8')).toMatch(/^audio:x:29:voiceterm$/m);
  });

  it('ships a D-Bus policy for RAUC that dbus-daemon loads', async () => {
    const dir = join(scratch, 'dbus');
    mkdirSync(dir);
    const conf = join(dir, 'bus.conf');
    writeFileSync(
      conf,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=${join(dir, 'bus')}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*"/><allow own="*"/></policy>
<include>${join(UNIT_DIR, 'voiceterm-rauc.conf')}</include></busconfig>\n`,
    );
    expect(readFileSync(join(UNIT_DIR, 'voiceterm-rauc.conf'), 'utf8')).toMatch(
      /<policy user="voiceterm">\s*<allow send_destination="de\.pengutronix\.rauc"\/>/,
    );
    // dbus-daemon refuses to start on a malformed included file; printing the address means it loaded
    const bus = spawn('dbus-daemon', [`--config-file=${conf}`, '--nofork', '--print-address=1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    bus.stderr.on('data', (d) => {
      err += d;
    });
    try {
      const address = await new Promise<string>((resolve, reject) => {
        createInterface({ input: bus.stdout }).once('line', resolve);
        bus.once('exit', (code) => reject(new Error(`dbus-daemon exited ${code}: ${err}`)));
      });
      expect(address).toContain(join(dir, 'bus'));
    } finally {
      bus.kill();
    }
  });

  describe('ExecStart under a notify socket with the unit environment', () => {
    const listener = new NotifyListener();
    let child: ChildProcess | undefined;
    afterAll(() => {
      child?.kill('SIGKILL');
      listener.stop();
    });

    it('sends READY=1, pings the watchdog and stops on the kill signal', {
      timeout: scaled(300_000),
    }, async () => {
      await listener.start();
      // The bundle layout under a scratch prefix: node = this Node, app = this checkout (built dist/)
      const prefix = join(scratch, 'prefix');
      mkdirSync(join(prefix, 'node/bin'), { recursive: true });
      symlinkSync(process.execPath, join(prefix, 'node/bin/node'));
      symlinkSync(REPO, join(prefix, 'app'));
      const argv = one('ExecStart')
        .split(/\s+/)
        .map((a) => a.replaceAll(PREFIX, prefix));
      expect(argv.slice(1)).toEqual([join(prefix, 'app/dist/src/main.js'), 'run']);

      const dirs = Object.fromEntries(
        ['STATE', 'LOGS', 'CACHE', 'CONFIGURATION'].map((k) => {
          const d = join(scratch, 'dirs', k.toLowerCase());
          mkdirSync(d, { recursive: true });
          return [`${k}_DIRECTORY`, d];
        }),
      );
      const unitEnv = Object.fromEntries(
        (service.get('Environment') ?? []).map((e) => {
          const eq = e.indexOf('=');
          return [e.slice(0, eq), e.slice(eq + 1)];
        }),
      );
      expect(unitEnv.NODE_ENV).toBe('production');
      // What systemd puts in a service's environment; nothing is inherited from this test process
      // except the emulator's own plumbing when the suite runs on arm64 under qemu (npm run test:arm64).
      const qemu = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('QEMU_')));
      const env = {
        ...qemu,
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: dirs.STATE_DIRECTORY,
        NOTIFY_SOCKET: listener.socketPath,
        WATCHDOG_USEC: String(timespanUsec(one('WatchdogSec'))),
        ...dirs,
        ...unitEnv,
      };
      // Under arm64 emulation the event loop lags past the product's 250 ms liveness threshold and the
      // supervisor rightly withholds WATCHDOG=1; a site file scales that threshold (natively: no file).
      if (TIME_SCALE > 1) {
        const site = join(scratch, 'emulation.yaml');
        writeFileSync(site, `supervisor:\n  maxEventLoopLagMs: ${scaled(250)}\n`);
        argv.push('--config', site);
      }
      const out: string[] = [];
      child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
      createInterface({ input: child.stdout! }).on('line', (l) => out.push(l));
      createInterface({ input: child.stderr! }).on('line', (l) => out.push(l));
      const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

      // Generous bounds, not performance limits (the unit's TimeoutStartSec is 90 s); waitFor stretches
      // them under arm64 emulation (npm run test:arm64), where loading the models takes tens of seconds.
      const ready = await listener.waitFor('READY=1', 30_000).catch((e) => {
        throw new Error(`${(e as Error).message}\n${out.slice(-10).join('\n')}`);
      });
      // WatchdogSec=20s → the supervisor pings every 10 s
      const ping = await listener.waitFor('WATCHDOG=1', 60_000);
      expect(ping.t).toBeGreaterThan(ready.t);
      // systemd's default KillSignal= is SIGTERM
      child.kill((service.get('KillSignal')?.[0] ?? 'SIGTERM') as NodeJS.Signals);
      await listener.waitFor('STOPPING=1', 30_000);
      expect(await exited).toBe(0);
      // no fatal record on the way (errors may happen: another test may hold the embedded broker's
      // default port, which the fleet component survives by design)
      expect(out.join('\n')).not.toMatch(/"level":("fatal"|60)/);
    });
  });
});
