/**
 * The `config` command's logic as a plain function: merge a partial config over the effective
 * one, validate the result with the real schema, and split the changed keys into those that apply
 * live and those the schema marks restart-required. Nothing is applied when validation fails.
 */
import { ConfigError } from '../../config/errors.js';
import { deepMerge, isTree, setPath, type Tree, validateConfig } from '../../config/load.js';
import { listKeys } from '../../config/meta.js';
import { type Config, configSchema } from '../../config/schema.js';

/** Leaf paths of a partial tree: `{a:{b:1,c:[2]}}` → ['a.b', 'a.c']. */
export function leafPaths(tree: Tree, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(tree)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (isTree(v) && Object.keys(v).length > 0) out.push(...leafPaths(v, p));
    else out.push(p);
  }
  return out;
}

export function getPath(tree: unknown, path: string): unknown {
  let node = tree;
  for (const p of path.split('.')) {
    if (!isTree(node)) return undefined;
    node = node[p];
  }
  return node;
}

const RESTART = new Map(listKeys(configSchema).map((k) => [k.path, k.restart === true]));

/** Restart meta of a path; keys under records (e.g. log.components.audio) inherit their parent's. */
export function needsRestart(path: string): boolean {
  const parts = path.split('.');
  for (let n = parts.length; n > 0; n--) {
    const r = RESTART.get(parts.slice(0, n).join('.'));
    if (r !== undefined) return r;
  }
  return true;
}

export interface ConfigPlan {
  /** The validated config after the change (restart-required keys included). */
  next: Config;
  changed: string[];
  live: string[];
  restartRequired: string[];
}

/** Throws ConfigError (every problem by path) when the merged result does not validate. */
export function planConfigChange(current: Config, partial: Tree): ConfigPlan {
  if (Object.keys(partial).length === 0) throw new ConfigError(['(root): empty change'], 'config command');
  const next = validateConfig(deepMerge(current as unknown as Tree, partial), 'config command');
  const changed = leafPaths(partial).filter(
    (p) => JSON.stringify(getPath(current, p)) !== JSON.stringify(getPath(next, p)),
  );
  const restartRequired = changed.filter(needsRestart);
  const live = changed.filter((p) => !needsRestart(p));
  return { next, changed, live, restartRequired };
}

/** Copy the live keys of a plan into the running config object (components read it each time). */
export function applyLive(config: Config, plan: ConfigPlan): void {
  for (const p of plan.live) setPath(config as unknown as Tree, p, structuredClone(getPath(plan.next, p)));
}
