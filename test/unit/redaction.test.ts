import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { luhnValid, Redactor } from '../../src/observability/redaction.js';
import { sweepRetention } from '../../src/observability/retention.js';

describe('Redactor', () => {
  const r = new Redactor({ patterns: ['order #\\d+'] });

  it('redacts card numbers in any spacing, Luhn-valid or not', () => {
    expect(r.redact('my card is 4111 1111 1111 1111 thanks')).toBe('my card is [card] thanks');
    expect(r.redact('4111-1111-1111-1111')).toBe('[card]');
    expect(r.redact('5500000000000004.')).toBe('[card].');
    expect(r.redact('4111 1111 1111 1112')).toBe('[card]'); // one digit misheard is still a card
    expect(luhnValid('4111 1111 1111 1111')).toBe(true);
    expect(luhnValid('4111 1111 1111 1112')).toBe(false);
  });

  it('redacts phone numbers and e-mail addresses, keeps ordinary numbers', () => {
    expect(r.redact('call +49 30 1234567 or (030) 123-4567')).toBe('call [phone] or [phone]');
    expect(r.redact('write to jane.doe+x@example.co.uk')).toBe('write to [email]');
    expect(r.redact('two burgers, 3 fries, total 12.50 at 14:30 on lane 2')).toBe(
      'two burgers, 3 fries, total 12.50 at 14:30 on lane 2',
    );
  });

  it('keeps hex digests whole, even when they contain a Luhn-valid digit run', () => {
    const sha = `ab${'4111111111111111'}${'c'.repeat(46)}`;
    expect(sha).toHaveLength(64);
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(r.redact(`bundle ${sha} rejected; card 4111111111111111`)).toBe(
      `bundle ${sha} rejected; card [card]`,
    );
    // a short hex-looking word is not a digest: its digits are still checked
    expect(r.redact('ref ab4111111111111111')).toBe(
      'ref ab4111111111111111'.replace('4111111111111111', '[card]'),
    );
  });

  it('applies configured patterns and walks nested values without touching keys', () => {
    const v = r.redactDeep({
      transcript: ['for order #123 use 4111111111111111'],
      n: 4111111111111111,
      'a@b.cd': 'x',
    });
    expect(v).toEqual({ transcript: ['for [redacted] use [card]'], n: 4111111111111111, 'a@b.cd': 'x' });
    expect(() => new Redactor({ patterns: ['('] })).toThrow(/redaction pattern/);
  });
});

describe('retention sweep', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('deletes files older than the limit, keeps newer ones, removes emptied sub-directories', () => {
    const root = mkdtempSync(join(tmpdir(), 'vt-retention-'));
    dirs.push(root);
    const traces = join(root, 'traces');
    mkdirSync(join(traces, 'old-session'), { recursive: true });
    const now = Date.now();
    const old = (now - 80 * 3600_000) / 1000;
    writeFileSync(join(traces, 'old-session', 'a.json'), '{}');
    utimesSync(join(traces, 'old-session', 'a.json'), old, old);
    writeFileSync(join(traces, 'old.wav'), 'x');
    utimesSync(join(traces, 'old.wav'), old, old);
    writeFileSync(join(traces, 'new.wav'), 'x');
    const r = sweepRetention(
      [
        { dir: traces, maxAgeHours: 72 },
        { dir: join(root, 'missing'), maxAgeHours: 1 },
      ],
      now,
    );
    expect(r.deleted.length).toBe(2);
    expect(r.kept).toBe(1);
    expect(r.errors).toEqual([]);
    expect(readdirSync(traces)).toEqual(['new.wav']);
    expect(existsSync(join(traces, 'old-session'))).toBe(false);
  });
});
