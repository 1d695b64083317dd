/**
 * Redaction of personal data before anything is logged, published or stored: payment card
 * numbers, phone numbers, e-mail addresses and operator-configured patterns.
 *
 * Card numbers are matched broadly (13–19 digits with optional single spaces or dashes) and
 * redacted whether or not the Luhn check passes: a transcript with one digit misheard is still a
 * card number to the person who said it. Phone numbers are runs of 7–15 digits with the usual
 * separators. Redaction runs on strings inside any JSON-like value (`redactDeep`), so callers do
 * not need to know which fields carry transcripts or tool arguments.
 */

export interface RedactionOptions {
  /** Extra regular expressions (source strings, matched globally, case-insensitive). */
  patterns?: string[];
}

export const CARD_MARK = '[card]';
export const PHONE_MARK = '[phone]';
export const EMAIL_MARK = '[email]';
export const CUSTOM_MARK = '[redacted]';

const CARD = /(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// A leading + or digit, then digits with spaces, dots, dashes or parentheses; 7–15 digits in all.
const PHONE = /(?<![\w+])\+?\(?\d(?:[\d ().-]{5,20})\d(?![\w])/g;
// Hex digests (sha256, md5, commit ids of 32+ hex characters with at least one letter) are kept
// whole: their digit runs are often Luhn-valid by chance, and a garbled hash in an OTA failure report
// is useless to the fleet engineer. No one speaks a 32-character hex string.
const HEX_DIGEST = /\b((?=[0-9a-f]*[a-f])[0-9a-f]{32,})\b/gi;

function digitCount(s: string): number {
  let n = 0;
  for (const ch of s) if (ch >= '0' && ch <= '9') n++;
  return n;
}

export class Redactor {
  private readonly custom: RegExp[];

  constructor(opts: RedactionOptions = {}) {
    this.custom = (opts.patterns ?? []).map((p) => {
      try {
        return new RegExp(p, 'gi');
      } catch (err) {
        throw new Error(`redaction pattern ${JSON.stringify(p)}: ${(err as Error).message}`);
      }
    });
  }

  redact(text: string): string {
    // split() with a capturing group puts the digests at the odd indexes.
    const parts = text.split(HEX_DIGEST);
    for (let i = 0; i < parts.length; i += 2) parts[i] = this.redactPlain(parts[i]);
    return parts.join('');
  }

  private redactPlain(text: string): string {
    let out = text.replace(EMAIL, EMAIL_MARK).replace(CARD, CARD_MARK);
    out = out.replace(PHONE, (m) => {
      const n = digitCount(m);
      return n >= 7 && n <= 15 ? PHONE_MARK : m;
    });
    for (const re of this.custom) out = out.replace(re, CUSTOM_MARK);
    return out;
  }

  /** A copy of a JSON-like value with every string redacted (keys are left alone). */
  redactDeep<T>(value: T): T {
    return this.walk(value) as T;
  }

  private walk(v: unknown): unknown {
    if (typeof v === 'string') return this.redact(v);
    if (Array.isArray(v)) return v.map((x) => this.walk(x));
    if (v && typeof v === 'object' && (v as object).constructor === Object) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.walk(x);
      return out;
    }
    return v;
  }
}

/** Luhn checksum — exported for tests and for callers that want to flag (not gate) card numbers. */
export function luhnValid(digits: string): boolean {
  const d = digits.replace(/\D/g, '');
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let x = Number(d[d.length - 1 - i]);
    if (i % 2 === 1) {
      x *= 2;
      if (x > 9) x -= 9;
    }
    sum += x;
  }
  return d.length > 0 && sum % 10 === 0;
}
