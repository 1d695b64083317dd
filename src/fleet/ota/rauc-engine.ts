/**
 * UpdateEngine over RAUC's D-Bus API (`de.pengutronix.rauc.Installer` at `/`).
 *
 * Version notes (why there are two paths):
 * - RAUC ≥ 1.10 has `InspectBundle` (returns the manifest hash) and `InstallBundle` accepts
 *   `require-manifest-hash`, so the installed bundle is provably the inspected one. We use both when
 *   the service offers them (found by introspection).
 * - Debian 12 ships RAUC 1.8: `Info` only returns compatible + version and fails with a bare
 *   "rauc info error". The verdict still comes from D-Bus; only for the *reason* of a rejection do
 *   we run `rauc info` (the CLI prints the OpenSSL verify error), because D-Bus can't serve it.
 *   Without a manifest hash the install is pinned by our own sha256 check of a file only root can
 *   write (see README).
 */
import { execFile } from 'node:child_process';
import dbus from '@particle/dbus-next';
import {
  type BundleInfo,
  type InstallProgress,
  type SlotStatus,
  type UpdateEngine,
  UpdateEngineError,
} from './engine.js';

const SERVICE = 'de.pengutronix.rauc';
/** Bundle checks read the whole signature; generous, but a dead service must not stall a job. */
const CALL_TIMEOUT_MS = 60_000;

class TimeoutError extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
const IFACE = 'de.pengutronix.rauc.Installer';

export interface RaucEngineOptions {
  /** D-Bus address ("unix:path=…"); empty → the system bus. */
  dbusAddress?: string;
  /** system.conf for CLI calls; empty → RAUC's default (/etc/rauc/system.conf). */
  raucConf?: string;
  raucBinary?: string;
}

// dbus-next's proxy interfaces are dynamic; these are the members we use.
type Installer = Record<string, (...args: unknown[]) => Promise<unknown>> & NodeJS.EventEmitter;
type Props = {
  Get(iface: string, name: string): Promise<dbus.Variant>;
} & NodeJS.EventEmitter;

function plain(v: unknown): unknown {
  if (v instanceof dbus.Variant) return plain(v.value);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return typeof v === 'bigint' ? Number(v) : v;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** RAUC's a(sa{sv}) slot array → SlotStatus[] (exported for tests of the mapping). */
export function slotsFromDbus(raw: unknown): SlotStatus[] {
  const list = plain(raw) as Array<[string, Record<string, unknown>]>;
  return list.map(([name, d]) => ({
    name,
    bootname: str(d.bootname),
    state: str(d.state),
    bootStatus: str(d['boot-status']),
    bundleVersion: str(d['bundle.version']),
    sha256: str(d.sha256),
  }));
}

/** The last line of `rauc info` stderr that says what went wrong, minus log prefixes. */
export function reasonFromRaucStderr(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^rauc-Message:/.test(l) && !/^\(rauc:\d+\)/.test(l));
  return lines.at(-1)?.replace(/^rauc-WARNING \*\*: [\d:.]+: /, '') ?? 'rejected by rauc';
}

export class RaucEngine implements UpdateEngine {
  private bus?: dbus.MessageBus;
  private installer?: Installer;
  private props?: Props;
  private hasInspect = false;
  /** Installs waiting for Completed; failed when the bus connection is lost. */
  private readonly pendingInstalls = new Set<(err: Error) => void>();

  constructor(private readonly opts: RaucEngineOptions = {}) {}

  private async connect(): Promise<{ installer: Installer; props: Props }> {
    if (this.installer && this.props) return { installer: this.installer, props: this.props };
    const bus = this.opts.dbusAddress
      ? dbus.sessionBus({ busAddress: this.opts.dbusAddress })
      : dbus.systemBus();
    // A lost bus must not crash the process: forget it and reconnect on the next call. A bus that
    // fails while connecting only emits 'error' (getProxyObject would wait forever), hence the race.
    const failed = new Promise<never>((_, reject) => bus.once('error', reject));
    bus.on('error', () => {
      if (this.bus === bus) this.reset();
    });
    try {
      const obj = await withTimeout(
        Promise.race([bus.getProxyObject(SERVICE, '/'), failed]),
        CALL_TIMEOUT_MS,
        'connect',
      );
      this.bus = bus;
      this.installer = obj.getInterface(IFACE) as unknown as Installer;
      this.props = obj.getInterface('org.freedesktop.DBus.Properties') as unknown as Props;
      this.hasInspect = typeof this.installer.InspectBundle === 'function';
      return { installer: this.installer, props: this.props };
    } catch (err) {
      bus.disconnect();
      throw new UpdateEngineError(
        'unreachable',
        `RAUC service not reachable on D-Bus: ${(err as Error).message}`,
      );
    }
  }

  private reset(): void {
    for (const abort of this.pendingInstalls)
      abort(new UpdateEngineError('unreachable', 'D-Bus connection to RAUC lost during install'));
    this.pendingInstalls.clear();
    this.bus?.disconnect();
    this.bus = undefined;
    this.installer = undefined;
    this.props = undefined;
  }

  private async prop(name: string): Promise<unknown> {
    const { props } = await this.connect();
    return plain(await this.call(props.Get(IFACE, name), `Get ${name}`));
  }

  /** A D-Bus call that cannot hang the job: times out and drops the connection if RAUC is gone. */
  private async call<T>(p: Promise<T>, what: string): Promise<T> {
    try {
      return await withTimeout(p, CALL_TIMEOUT_MS, what);
    } catch (err) {
      if (err instanceof TimeoutError) {
        this.reset();
        throw new UpdateEngineError(
          'unreachable',
          `RAUC did not answer ${what} within ${CALL_TIMEOUT_MS / 1000} s`,
        );
      }
      throw err;
    }
  }

  async compatible(): Promise<string> {
    return String(await this.prop('Compatible'));
  }

  async bootSlot(): Promise<string> {
    return String(await this.prop('BootSlot'));
  }

  async slots(): Promise<SlotStatus[]> {
    const { installer } = await this.connect();
    return slotsFromDbus(await this.call(installer.GetSlotStatus(), 'GetSlotStatus'));
  }

  async primary(): Promise<string> {
    const { installer } = await this.connect();
    return String(await this.call(installer.GetPrimary(), 'GetPrimary'));
  }

  async inspect(bundlePath: string): Promise<BundleInfo> {
    const { installer } = await this.connect();
    let info: BundleInfo;
    try {
      if (this.hasInspect) {
        const r = plain(await this.call(installer.InspectBundle(bundlePath, {}), 'InspectBundle')) as Record<
          string,
          unknown
        >;
        const update = (r.update ?? {}) as Record<string, unknown>;
        info = {
          compatible: String(update.compatible ?? ''),
          version: String(update.version ?? ''),
          manifestHash: str(r['manifest-hash']),
        };
      } else {
        const [compatible, version] = (await this.call(installer.Info(bundlePath), 'Info')) as [
          string,
          string,
        ];
        info = { compatible, version };
      }
    } catch (err) {
      if (err instanceof UpdateEngineError) throw err; // unreachable: not the bundle's fault
      throw new UpdateEngineError('rejected', await this.rejectionReason(bundlePath, err));
    }
    const system = await this.compatible();
    if (info.compatible !== system) {
      throw new UpdateEngineError(
        'rejected',
        `bundle is for "${info.compatible}", this system is "${system}"`,
      );
    }
    return info;
  }

  /** D-Bus says only "rauc info error" on 1.8; the CLI says why (bad signature, wrong CA, …). */
  private rejectionReason(bundlePath: string, err: unknown): Promise<string> {
    const dbusText = (err as { text?: string }).text ?? (err as Error).message;
    const args = [
      ...(this.opts.raucConf ? [`--conf=${this.opts.raucConf}`] : []),
      'info',
      '--output-format=json',
      bundlePath,
    ];
    return new Promise((resolve) => {
      execFile(this.opts.raucBinary ?? 'rauc', args, { timeout: 30_000 }, (cliErr, _stdout, stderr) => {
        if (!cliErr)
          resolve(dbusText); // CLI accepted what D-Bus refused: report D-Bus's words
        else resolve(`signature/bundle check failed: ${reasonFromRaucStderr(String(stderr))}`);
      });
    });
  }

  async install(
    bundlePath: string,
    info: BundleInfo,
    onProgress: (p: InstallProgress) => void,
  ): Promise<void> {
    const { installer, props } = await this.connect();
    const args: Record<string, dbus.Variant> = {};
    if (this.hasInspect && info.manifestHash)
      args['require-manifest-hash'] = new dbus.Variant('s', info.manifestHash);

    let finish: (result: number) => void = () => {};
    let abort: (err: Error) => void = () => {};
    const done = new Promise<number>((resolve, reject) => {
      finish = resolve;
      abort = reject;
    });
    this.pendingInstalls.add(abort);
    const onChanged = (iface: string, changed: Record<string, dbus.Variant>) => {
      if (iface !== IFACE || !changed.Progress) return;
      const [percent, message] = plain(changed.Progress) as [number, string, number];
      onProgress({ percent, message });
    };
    const onCompleted = (result: number) => finish(result);
    props.on('PropertiesChanged', onChanged);
    installer.on('Completed', onCompleted);
    const unsubscribe = () => {
      this.pendingInstalls.delete(abort);
      props.off('PropertiesChanged', onChanged);
      installer.off('Completed', onCompleted);
    };
    try {
      await this.call(installer.InstallBundle(bundlePath, args), 'InstallBundle');
    } catch (err) {
      unsubscribe();
      if (err instanceof UpdateEngineError) throw err;
      throw new UpdateEngineError(
        'install_failed',
        `InstallBundle refused: ${(err as { text?: string }).text ?? (err as Error).message}`,
      );
    }
    // No timeout: RAUC always emits Completed; a lost bus rejects through reset().
    const result = await done.finally(unsubscribe);
    if (result !== 0) {
      const lastError = String((await this.prop('LastError')) ?? '');
      throw new UpdateEngineError('install_failed', lastError || `rauc install failed (result ${result})`);
    }
  }

  async mark(state: 'good' | 'bad' | 'active', slot: string): Promise<{ slot: string; message: string }> {
    const { installer } = await this.connect();
    try {
      const [name, message] = (await this.call(installer.Mark(state, slot), 'Mark')) as [string, string];
      return { slot: name, message };
    } catch (err) {
      throw new UpdateEngineError(
        'mark_failed',
        `Mark(${state}, ${slot}) failed: ${(err as { text?: string }).text ?? (err as Error).message}`,
      );
    }
  }

  async close(): Promise<void> {
    this.reset();
  }
}
