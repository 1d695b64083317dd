import type { z } from 'zod';
import { listKeys } from './meta.js';

/** A deep copy with every secret key replaced by `***` (or left empty when unset). */
export function maskSecrets<T>(schema: z.ZodType, value: T): T {
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const key of listKeys(schema)) {
    if (!key.secret) continue;
    const parts = key.path.split('.');
    let node: Record<string, unknown> | undefined = copy;
    for (const p of parts.slice(0, -1)) {
      const next: unknown = node?.[p];
      node = next && typeof next === 'object' ? (next as Record<string, unknown>) : undefined;
    }
    const leaf = parts[parts.length - 1];
    if (node && typeof node[leaf] === 'string' && node[leaf] !== '') node[leaf] = '***';
  }
  return copy as T;
}
