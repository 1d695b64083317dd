/**
 * A real RAUC for tests: a private dbus-daemon (system-bus type, temp config, allow-all policy), the
 * Debian `rauc service` on it with a test system.conf whose slots are two files (type=raw) and whose
 * bootloader is `custom` — a shell script that keeps the boot order and slot states in files and
 * logs every call. Bundles are built and signed with deploy/rauc/build-bundle.sh and a CA made by
 * deploy/rauc/dev-ca.sh ("good"), plus a second CA the keyring does not know ("evil").
 *
 * "Rebooting" = restarting `rauc service` with --override-boot-slot set to what the boot script
 * says is primary (what a bootloader would boot).
 *
 * Needs root and loop devices: RAUC loop-mounts plain bundles (verity bundles would also need
 * device-mapper, which containers usually lack; the product uses verity, the tests plain).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RaucEngine } from '../../src/fleet/ota/rauc-engine.js';
import { scaled } from './time-scale.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DEV_CA = join(ROOT, 'deploy', 'rauc', 'dev-ca.sh');
const BUILD = join(ROOT, 'deploy', 'rauc', 'build-bundle.sh');
export const COMPATIBLE = 'voiceterm-test';

export interface BuiltBundle {
  path: string;
  sha256: string;
  size: number;
}

export interface RaucRig {
  dir: string;
  busAddress: string;
  confPath: string;
  /** Everything `rauc service` printed (all incarnations). */
  serviceLog: string[];
  /** Calls to the custom bootloader backend, e.g. "set-primary B". */
  bootCalls(): string[];
  /** What the bootloader would boot next. */
  primary(): string;
  slotFile(bootname: 'A' | 'B'): string;
  /** (Re)start `rauc service` as if booted from `bootname`; resolves once it answers on D-Bus. */
  boot(bootname: string): Promise<void>;
  stopService(): Promise<void>;
  buildBundle(o: {
    version: string;
    signer?: 'good' | 'evil';
    compatible?: string;
    name?: string;
  }): BuiltBundle;
  close(): Promise<void>;
}

function preflight(): void {
  if (process.getuid?.() !== 0) throw new Error('the RAUC tests need root (rauc loop-mounts bundles)');
  if (!existsSync('/dev/loop-control'))
    throw new Error('the RAUC tests need loop devices (/dev/loop-control)');
  for (const bin of ['rauc', 'dbus-daemon', 'openssl', 'mksquashfs']) {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`]);
    } catch {
      throw new Error(`${bin} not installed (deploy/dev/apt-packages.txt)`);
    }
  }
}

function waitExit(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
  });
}

export async function startRaucRig(): Promise<RaucRig> {
  preflight();
  const dir = mkdtempSync(join(tmpdir(), 'vt-rauc-'));
  for (const d of ['slots', 'data', 'mnt', 'boot', 'bundles', 'payload']) mkdirSync(join(dir, d));
  execFileSync(DEV_CA, [join(dir, 'ca-good'), 'vt-test-good']);
  execFileSync(DEV_CA, [join(dir, 'ca-evil'), 'vt-test-evil']);
  for (const s of ['A', 'B']) writeFileSync(join(dir, 'slots', s), Buffer.alloc(256 * 1024));

  const sock = join(dir, 'bus.sock');
  writeFileSync(
    join(dir, 'dbus.conf'),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
`,
  );
  const bootDir = join(dir, 'boot');
  const backend = join(dir, 'boot-backend.sh');
  writeFileSync(
    backend,
    `#!/bin/sh
# RAUC custom bootloader backend for tests: boot order and slot states in files.
d='${bootDir}'
echo "$*" >> "$d/calls"
case "$1" in
  get-primary) cat "$d/primary" 2>/dev/null || echo A ;;
  set-primary) echo "$2" > "$d/primary" ;;
  get-state) cat "$d/state.$2" 2>/dev/null || echo good ;;
  set-state) echo "$3" > "$d/state.$2" ;;
  *) exit 1 ;;
esac
`,
    { mode: 0o755 },
  );
  const confPath = join(dir, 'system.conf');
  writeFileSync(
    confPath,
    `[system]
compatible=${COMPATIBLE}
bootloader=custom
data-directory=${join(dir, 'data')}
bundle-formats=plain verity

[handlers]
bootloader-custom-backend=${backend}

[keyring]
path=${join(dir, 'ca-good', 'ca.cert.pem')}

[slot.appfs.0]
device=${join(dir, 'slots', 'A')}
type=raw
bootname=A

[slot.appfs.1]
device=${join(dir, 'slots', 'B')}
type=raw
bootname=B
`,
  );

  const daemon = spawn(
    'dbus-daemon',
    [`--config-file=${join(dir, 'dbus.conf')}`, '--nofork', '--print-address=1'],
    {
      // stderr ignored: in containers it warns that it may not raise its fd limit, which is harmless.
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const busAddress = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('dbus-daemon did not start')), scaled(10_000));
    createInterface({ input: daemon.stdout! }).once('line', (l) => {
      clearTimeout(t);
      resolve(l.trim());
    });
    daemon.once('exit', (code) => reject(new Error(`dbus-daemon exited ${code}`)));
  });

  const serviceLog: string[] = [];
  let service: ChildProcess | undefined;
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: busAddress };

  const rig: RaucRig = {
    dir,
    busAddress,
    confPath,
    serviceLog,
    bootCalls: () =>
      existsSync(join(bootDir, 'calls'))
        ? readFileSync(join(bootDir, 'calls'), 'utf8').trim().split('\n')
        : [],
    primary: () =>
      existsSync(join(bootDir, 'primary')) ? readFileSync(join(bootDir, 'primary'), 'utf8').trim() : 'A',
    slotFile: (b) => join(dir, 'slots', b),
    async boot(bootname) {
      await waitExit(service);
      service = spawn(
        'rauc',
        [`--conf=${confPath}`, `--mount=${join(dir, 'mnt')}`, 'service', `--override-boot-slot=${bootname}`],
        {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      for (const s of [service.stdout!, service.stderr!])
        createInterface({ input: s }).on('line', (l) => serviceLog.push(l));
      const probe = new RaucEngine({ dbusAddress: busAddress });
      const end = Date.now() + scaled(15_000);
      try {
        for (;;) {
          try {
            if ((await probe.bootSlot()) === bootname) return;
          } catch (err) {
            if (Date.now() > end)
              throw new Error(
                `rauc service did not come up: ${(err as Error).message}\n${serviceLog.join('\n')}`,
              );
          }
          await probe.close();
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        await probe.close();
      }
    },
    stopService: () => waitExit(service),
    buildBundle({ version, signer = 'good', compatible = COMPATIBLE, name }) {
      const image = join(dir, 'payload', `${version}.img`);
      // 64 KiB payload whose content names the version: the slot file proves which one was written.
      writeFileSync(image, Buffer.alloc(64 * 1024, `voiceterm ${version}\n`));
      const ca = join(dir, signer === 'good' ? 'ca-good' : 'ca-evil');
      const out = join(dir, 'bundles', name ?? `${version}-${signer}.raucb`);
      const line = execFileSync(
        BUILD,
        [
          '--cert',
          join(ca, 'signer.cert.pem'),
          '--key',
          join(ca, 'signer.key.pem'),
          '--version',
          version,
          '--image',
          image,
          '--out',
          out,
          '--compatible',
          compatible,
          '--format',
          'plain',
        ],
        { encoding: 'utf8' },
      ).trim();
      const m = /(\d+) bytes sha256 ([0-9a-f]{64})$/.exec(line);
      if (!m) throw new Error(`build-bundle.sh printed ${line}`);
      return { path: out, size: Number(m[1]), sha256: m[2] };
    },
    async close() {
      await waitExit(service);
      await waitExit(daemon);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await rig.boot('A');
  return rig;
}
