/**
 * The kill switch: a local state that turns the AI off for this terminal. Set by the fleet's
 * `kill-switch` command (the fleet component persists it and emits `fleet.killSwitch`), by a call
 * to `set()`, or forced by config; persisted in the state dir so a restart, a crash or a power cut
 * keeps it. The file is shared with src/fleet (same name and shape: {on, since, reason}); both
 * write it atomically (temp file + fsync + rename).
 *
 * Unlike the fleet's reader, an unreadable file counts as ON here: if we cannot tell whether an
 * operator turned the AI off, we fail towards "AI off, hand off to a person".
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface KillSwitchState {
  on: boolean;
  /** ISO time of the last change. */
  since: string;
  /** Who set it and why (fleet command, operator note). */
  reason?: string;
}

export const KILL_SWITCH_FILE = 'kill-switch.json';

export class KillSwitchStore {
  private state: KillSwitchState;
  readonly path: string;
  /** Set when the file existed but could not be read: we then hold the switch on. */
  readonly loadError: string | undefined;

  constructor(stateDir: string) {
    this.path = join(stateDir, KILL_SWITCH_FILE);
    let text: string | undefined;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.loadError = `${this.path}: ${(e as Error).message}`;
    }
    if (text !== undefined) {
      try {
        const v = JSON.parse(text) as Partial<KillSwitchState>;
        if (typeof v.on !== 'boolean') throw new Error('"on" is not a boolean');
        this.state = {
          on: v.on,
          since: String(v.since ?? ''),
          reason: v.reason === undefined ? undefined : String(v.reason),
        };
        return;
      } catch (e) {
        this.loadError = `${this.path}: ${(e as Error).message}`;
      }
    }
    this.state = this.loadError
      ? { on: true, since: new Date().toISOString(), reason: `state unreadable (${this.loadError})` }
      : { on: false, since: new Date(0).toISOString() };
  }

  get(): KillSwitchState {
    return { ...this.state };
  }

  /** Persist first, then take effect: if the disk write fails the caller gets the error. */
  set(on: boolean, reason?: string): KillSwitchState {
    const next: KillSwitchState = { on, since: new Date().toISOString(), reason };
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, `${JSON.stringify(next, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    this.state = next;
    return this.get();
  }

  /** Take a change the fleet already persisted (its `fleet.killSwitch` event). */
  adopt(on: boolean, reason?: string): void {
    this.state = { on, since: new Date().toISOString(), reason };
  }
}
