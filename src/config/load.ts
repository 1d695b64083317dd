/**
 * Loading: board defaults (board/<name>/config.yaml) ← the site file (--config or
 * /etc/voiceterm/config.yaml) ← environment overrides for secrets; then one validation of the
 * merged result, so every error names its path in the effective config.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { ConfigError, formatIssues } from './errors.js';
import { listKeys } from './meta.js';
import { type Config, configSchema } from './schema.js';

export const DEFAULT_CONFIG_PATH = '/etc/voiceterm/config.yaml';

/** The repository/bundle root: dist/src/config → ../../.. ; src/config (tests) → ../.. */
export function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'board'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the application root (package.json + board/)');
}

export function boardDir(name: string): string {
  return join(appRoot(), 'board', name);
}

export type Tree = Record<string, unknown>;

export function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge: mappings merge key by key; everything else (lists included) is replaced. */
export function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isTree(v) && isTree(out[k]) ? deepMerge(out[k] as Tree, v) : v;
  }
  return out;
}

/** Parse one YAML file into a mapping; syntax errors name the file, line and column. */
export function readYamlFile(path: string): Tree {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([`cannot read: ${(e as Error).message}`], path);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`),
      path,
    );
  }
  const value = doc.toJS() ?? {};
  if (!isTree(value)) throw new ConfigError(['(root): expected a mapping of sections'], path);
  return value;
}

/** Set a dotted path in a plain tree, creating mappings on the way. */
export function setPath(tree: Tree, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = tree;
  for (const p of parts.slice(0, -1)) {
    if (!isTree(node[p])) node[p] = {};
    node = node[p] as Tree;
  }
  node[parts[parts.length - 1]] = value;
}

function hasParent(tree: Tree, path: string): boolean {
  let node: unknown = tree;
  for (const p of path.split('.').slice(0, -1)) {
    if (!isTree(node) || !isTree(node[p])) return false;
    node = node[p];
  }
  return true;
}

/**
 * Environment overrides: only keys the schema marks with `env`. A key whose parent section is
 * absent (e.g. broker credentials without a broker) is not created — that would invent config.
 */
export function applyEnv(tree: Tree, env: NodeJS.ProcessEnv): { tree: Tree; applied: string[] } {
  const out = structuredClone(tree);
  const applied: string[] = [];
  for (const key of listKeys(configSchema)) {
    const name = key.env?.find((n) => env[n] !== undefined && env[n] !== '');
    if (!name) continue;
    const depth = key.path.split('.').length;
    if (depth > 2 && !hasParent(out, key.path)) continue;
    setPath(out, key.path, env[name]);
    applied.push(`${key.path} from $${name}`);
  }
  return { tree: out, applied };
}

export interface LoadOptions {
  /** Explicit site file; when absent, /etc/voiceterm/config.yaml if it exists. */
  file?: string;
  /** Board override (CLI --board); else the file's device.board; else $VOICETERM_BOARD; else sim. */
  board?: string;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: Config;
  sources: string[];
  envApplied: string[];
  /** Problems that did not stop loading (e.g. an invalid remote overlay that was ignored). */
  warnings: string[];
}

/**
 * Keys applied by the fleet's `config` command are persisted here (under the state directory) and
 * merged over the site file at every start: board ← site file ← remote overlay ← environment.
 */
export const REMOTE_CONFIG_FILE = 'remote-config.yaml';

export function remoteConfigPath(stateDir: string): string {
  return join(stateDir, REMOTE_CONFIG_FILE);
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const sources: string[] = [];
  let site: Tree = {};
  const file = opts.file ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
  if (file) {
    site = readYamlFile(resolve(file));
    sources.push(resolve(file));
  }
  const siteBoard = isTree(site.device) ? site.device.board : undefined;
  const board =
    opts.board ?? (typeof siteBoard === 'string' ? siteBoard : undefined) ?? env.VOICETERM_BOARD ?? 'sim';
  const boardFile = join(boardDir(board), 'config.yaml');
  if (!existsSync(boardFile)) {
    throw new ConfigError([`device.board: no board profile named ${JSON.stringify(board)} (${boardFile})`]);
  }
  const boardTree = readYamlFile(boardFile);
  sources.unshift(boardFile);
  const merged = deepMerge(boardTree, site);
  setPath(merged, 'device.board', board);
  const { tree, applied } = applyEnv(merged, env);
  let config = validateConfig(tree, file ?? boardFile);
  const stateDir = resolveStateDir(config.supervisor.stateDir, env);
  const warnings: string[] = [];
  // The remote overlay must never brick a terminal: if it no longer validates (a schema change in a
  // new release, a bad write), it is ignored with a warning and the site config runs.
  const remote = remoteConfigPath(stateDir);
  if (existsSync(remote)) {
    try {
      const over = deepMerge(merged, readYamlFile(remote));
      config = validateConfig(applyEnv(over, env).tree, remote);
      sources.push(remote);
    } catch (err) {
      warnings.push(`ignored ${remote}: ${(err as Error).message}`);
    }
  }
  config.supervisor.stateDir = stateDir;
  return { config, sources, envApplied: applied, warnings };
}

export function validateConfig(tree: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(tree, { reportInput: true });
  if (!result.success) throw new ConfigError(formatIssues(result.error), source);
  return result.data;
}

function writable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function resolveStateDir(configured: string, env: NodeJS.ProcessEnv): string {
  if (configured) return configured;
  // systemd's StateDirectory= may list several, separated by ':'; ours is the first.
  const fromSystemd = env.STATE_DIRECTORY?.split(':')[0];
  if (fromSystemd) return fromSystemd;
  if (writable('/var/lib/voiceterm')) return '/var/lib/voiceterm';
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'voiceterm');
}
