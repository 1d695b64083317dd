/**
 * The `diagnostics` bundle: recent health history, component table, queue stats, the masked
 * config and the tail of the journal when journalctl is there. Redacted as a whole, then bounded:
 * the largest parts (logs, then health history) are cut until the JSON fits `maxBytes`.
 */
import { spawnSync } from 'node:child_process';
import type { Redactor } from '../observability/redaction.js';

export function journalTail(lines = 200): string[] {
  const r = spawnSync('journalctl', ['-u', 'voiceterm', '-n', String(lines), '-o', 'cat', '--no-pager'], {
    encoding: 'utf8',
    timeout: 2000,
  });
  if (r.status !== 0 || !r.stdout) return [];
  return r.stdout.split('\n').filter(Boolean);
}

export interface DiagnosticsParts {
  logs: string[];
  healthHistory: unknown[];
  [k: string]: unknown;
}

export function boundedBundle(
  parts: DiagnosticsParts,
  redactor: Redactor,
  maxBytes: number,
): Record<string, unknown> {
  const bundle = redactor.redactDeep({ ...parts, truncated: false });
  const size = () => Buffer.byteLength(JSON.stringify(bundle));
  while (size() > maxBytes && (bundle.logs.length > 0 || bundle.healthHistory.length > 0)) {
    bundle.truncated = true;
    // Drop the oldest half of whichever list is longer in bytes.
    const logBytes = JSON.stringify(bundle.logs).length;
    const histBytes = JSON.stringify(bundle.healthHistory).length;
    if (logBytes >= histBytes) bundle.logs = bundle.logs.slice(Math.ceil(bundle.logs.length / 2));
    else bundle.healthHistory = bundle.healthHistory.slice(Math.ceil(bundle.healthHistory.length / 2));
  }
  if (size() > maxBytes)
    return { truncated: true, error: `bundle exceeds ${maxBytes} bytes even without logs and history` };
  return bundle;
}
