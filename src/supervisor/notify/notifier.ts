/**
 * The systemd notify protocol (sd_notify(3)): READY=1, STATUS=…, WATCHDOG=1, STOPPING=1.
 * Without $NOTIFY_SOCKET every call is a no-op, so the same binary runs under systemd, in a
 * terminal and in tests (which point NOTIFY_SOCKET at their own datagram listener).
 */
import { loadNative } from './native.js';

export interface Notifier {
  readonly enabled: boolean;
  /** Watchdog interval requested by systemd (WATCHDOG_USEC), in ms; undefined when none. */
  readonly watchdogMs: number | undefined;
  send(message: string): void;
}

interface SdNotifyAddon {
  notify(socketPath: string, message: string): void;
}

export class SystemdNotifier implements Notifier {
  readonly enabled: boolean;
  readonly watchdogMs: number | undefined;
  private readonly socket: string | undefined;
  private addon?: SdNotifyAddon;
  /** The last error, so a vanished socket is logged once, not on every watchdog ping. */
  lastError?: string;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.socket = env.NOTIFY_SOCKET || undefined;
    this.enabled = this.socket !== undefined;
    const usec = Number(env.WATCHDOG_USEC);
    // WATCHDOG_PID, when set, names the process the watchdog is meant for.
    const forUs = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid;
    this.watchdogMs = this.enabled && forUs && usec > 0 ? usec / 1000 : undefined;
  }

  send(message: string): void {
    if (!this.socket) return;
    this.addon ??= loadNative<SdNotifyAddon>('sd_notify');
    try {
      this.addon.notify(this.socket, message);
      this.lastError = undefined;
    } catch (err) {
      this.lastError = (err as Error).message;
      throw err;
    }
  }
}
