/**
 * Marks carried by schema nodes. The schema is the single source of truth: besides types, defaults
 * and validation it says which keys hold secrets (masked in output, overridable from the
 * environment) and which keys only take effect after a restart (a remote `config` command reports
 * `restart_required` for them instead of applying them live).
 */
import { z } from 'zod';

export interface KeyMeta {
  /** Changing this key remotely needs a supervisor restart to take effect. */
  restart?: boolean;
  /** The value is a credential: masked when printed, published or logged. */
  secret?: boolean;
  /** Environment variables that override this key (first one set wins). */
  env?: string[];
  description?: string;
}

const registry = z.registry<KeyMeta>();

/** Attach meta to a schema node; returns the same node so it can be used inline. */
export function mark<T extends z.ZodType>(schema: T, meta: KeyMeta): T {
  registry.add(schema, meta);
  return schema;
}

export const restart = <T extends z.ZodType>(schema: T): T => mark(schema, { restart: true });

function metaOf(schema: z.ZodType): KeyMeta {
  return registry.get(schema) ?? {};
}

/** Strip optional/default/nullable wrappers, merging the meta found on each layer. */
function unwrap(schema: z.ZodType): { inner: z.ZodType; meta: KeyMeta } {
  let s: z.ZodType = schema;
  let meta: KeyMeta = { ...metaOf(s) };
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault) s = s.unwrap() as z.ZodType;
    else break;
    meta = { ...metaOf(s), ...meta };
  }
  return { inner: s, meta };
}

export interface KeyInfo extends KeyMeta {
  path: string;
}

/**
 * Every key path of an object schema with its effective meta. `restart` is inherited: marking
 * `audio` restart-required marks every key below it.
 */
export function listKeys(schema: z.ZodType, prefix = '', inherited: KeyMeta = {}): KeyInfo[] {
  const { inner, meta } = unwrap(schema);
  const eff: KeyMeta = { ...meta, restart: meta.restart ?? inherited.restart };
  const out: KeyInfo[] = [];
  if (prefix) out.push({ path: prefix, ...eff });
  if (inner instanceof z.ZodObject) {
    for (const [k, child] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
      out.push(...listKeys(child, prefix ? `${prefix}.${k}` : k, eff));
    }
  }
  return out;
}

/** Look up the meta of one dotted path (deepest matching key wins). */
export function keyInfo(schema: z.ZodType, path: string): KeyInfo | undefined {
  return listKeys(schema).find((k) => k.path === path);
}
