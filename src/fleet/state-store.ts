/**
 * Remote-controlled state that must survive restarts, as small JSON files in the state dir,
 * written atomically (tmp + fsync + rename):
 *
 *   kill-switch.json     {"on":true,"since":"…","reason":"…"}  (read by the offline flow too)
 *   handoff-mode.json    {"mode":"auto","since":"…"}
 *   remote-config.yaml   the partial config the fleet set remotely (config/load.ts's
 *                        remoteConfigPath; written as JSON, which is valid YAML); loadConfig merges
 *                        it over the site file at every start
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { readYamlFile, remoteConfigPath } from '../config/load.js';

export type HandoffMode = 'auto' | 'always' | 'never';

export interface KillSwitchState {
  on: boolean;
  since: string;
  reason?: string;
}

export interface HandoffState {
  mode: HandoffMode;
  since: string;
}

export const KILL_SWITCH_FILE = 'kill-switch.json';
export const HANDOFF_FILE = 'handoff-mode.json';

export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * The persisted kill switch; off when never set. A file that exists but cannot be read counts as
 * ON, as in src/offline/kill-switch.ts: when in doubt, the AI stays off and a person takes over.
 */
export function readKillSwitch(stateDir: string): KillSwitchState {
  const path = join(stateDir, KILL_SWITCH_FILE);
  if (!existsSync(path)) return { on: false, since: new Date(0).toISOString() };
  const s = readJson<KillSwitchState>(path);
  return s && typeof s.on === 'boolean'
    ? s
    : { on: true, since: new Date().toISOString(), reason: `${path} unreadable` };
}

export function readHandoffMode(stateDir: string): HandoffState {
  const s = readJson<HandoffState>(join(stateDir, HANDOFF_FILE));
  return s && ['auto', 'always', 'never'].includes(s.mode)
    ? s
    : { mode: 'auto', since: new Date(0).toISOString() };
}

/** The remotely set partial config (empty when none or unreadable). */
export function readRemoteConfig(stateDir: string): Record<string, unknown> {
  try {
    const s = readYamlFile(remoteConfigPath(stateDir));
    return s && typeof s === 'object' && !Array.isArray(s) ? s : {};
  } catch {
    return {};
  }
}
