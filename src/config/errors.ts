/**
 * Turns schema issues into lines an operator can act on: the exact dotted path, what was expected
 * and what was found — `audio.capture.rate: expected one of 16000, 48000, got 44100`.
 */
import type { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    readonly source = 'config',
  ) {
    super(`${source}: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

function pathOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'a list' : 'a mapping';
}

function formatIssue(issue: z.core.$ZodIssue): string[] {
  const at = pathOf(issue.path);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return [`${at}: required (expected ${issue.expected}), missing`];
      return [`${at}: expected ${issue.expected}, got ${show(input)}`];
    case 'invalid_value':
      return [`${at}: expected one of ${issue.values.map((v) => String(v)).join(', ')}, got ${show(input)}`];
    case 'unrecognized_keys':
      return issue.keys.map((k) => `${pathOf([...issue.path, k])}: unknown key`);
    case 'too_small':
      return [
        `${at}: expected ${issue.inclusive === false ? '>' : '>='} ${issue.minimum}, got ${show(input)}`,
      ];
    case 'too_big':
      return [
        `${at}: expected ${issue.inclusive === false ? '<' : '<='} ${issue.maximum}, got ${show(input)}`,
      ];
    case 'invalid_union': {
      const nested = issue.errors
        .flat()
        .flatMap((i) => formatIssue({ ...i, path: [...issue.path, ...i.path] }));
      return nested.length > 0 ? [nested[0]] : [`${at}: ${issue.message}, got ${show(input)}`];
    }
    default:
      return [`${at}: ${issue.message}${input !== undefined ? `, got ${show(input)}` : ''}`];
  }
}

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.flatMap(formatIssue);
}
