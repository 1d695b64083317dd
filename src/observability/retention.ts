/**
 * Retention: stored audio, transcripts and traces are deleted once older than their configured
 * age. A sweep walks each configured directory (recursively) and unlinks regular files whose
 * modification time is past the limit; empty sub-directories left behind are removed too. The
 * sweep is a plain function over the file system so it is tested without timers; the fleet
 * component runs it periodically.
 */
import { readdirSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface RetentionRule {
  /** Directory whose files expire (missing directories are skipped). */
  dir: string;
  maxAgeHours: number;
}

export interface SweepResult {
  deleted: string[];
  kept: number;
  errors: string[];
}

export function sweepRetention(rules: RetentionRule[], now = Date.now()): SweepResult {
  const result: SweepResult = { deleted: [], kept: 0, errors: [] };
  for (const rule of rules) sweepDir(rule.dir, now - rule.maxAgeHours * 3600_000, result, false);
  return result;
}

function sweepDir(dir: string, cutoffMs: number, result: SweepResult, removeIfEmpty: boolean): void {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      result.errors.push(`${dir}: ${(err as Error).message}`);
    return;
  }
  let left = 0;
  for (const e of entries) {
    const path = join(dir, e.name);
    try {
      if (e.isDirectory()) {
        sweepDir(path, cutoffMs, result, true);
        if (safeExists(path)) left++;
      } else if (e.isFile()) {
        if (statSync(path).mtimeMs < cutoffMs) {
          unlinkSync(path);
          result.deleted.push(path);
        } else {
          result.kept++;
          left++;
        }
      } else left++;
    } catch (err) {
      result.errors.push(`${path}: ${(err as Error).message}`);
      left++;
    }
  }
  if (removeIfEmpty && left === 0) {
    try {
      rmdirSync(dir);
    } catch {
      // something appeared meanwhile; next sweep
    }
  }
}

function safeExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
