import { describe, expect, it } from 'vitest';
import { DEFAULT_FLOWS } from '../../src/offline/default-flows.js';
import { buildGrammar, intentOf, missingWords, sentencesOf } from '../../src/offline/grammar.js';

describe('offline grammar', () => {
  it('expands optional words and alternatives into sentences', () => {
    expect(sentencesOf('[i want to] talk to (a person | someone)').sort()).toEqual(
      [
        'i want to talk to a person',
        'i want to talk to someone',
        'talk to a person',
        'talk to someone',
      ].sort(),
    );
  });

  it('rejects malformed phrases with the reason', () => {
    expect(() => sentencesOf('talk to (a person')).toThrow(/missing "\)"/);
    expect(() => sentencesOf('talk ] to')).toThrow(/unexpected "\]"/);
    expect(() => sentencesOf('( | yes)')).toThrow(/empty alternative/);
    expect(() => sentencesOf('[maybe]')).toThrow(/can be empty/);
  });

  it('builds a JSGF grammar with one rule per intent and maps hypotheses back', () => {
    const g = buildGrammar({ yes: ['yes [please]'], person: ['talk to (a person | someone)'] });
    expect(g.jsgf).toContain('#JSGF V1.0;');
    expect(g.jsgf).toContain('public <answer> = <yes> | <person>;');
    expect(g.jsgf).toContain('<person> = (talk to (a person | someone));');
    expect(intentOf(g, 'YES PLEASE')).toBe('yes');
    expect(intentOf(g, '  talk to  someone ')).toBe('person');
    expect(intentOf(g, 'talk to a person(2)')).toBe('person');
    expect(intentOf(g, 'banana')).toBeUndefined();
    expect(intentOf(g, '')).toBeUndefined();
  });

  it('refuses a sentence claimed by two intents', () => {
    expect(() => buildGrammar({ yes: ['okay'], no: ['(okay | no)'] })).toThrow(
      /"okay" is also an answer of "yes"/,
    );
  });

  it('lists words missing from a pronunciation dictionary', () => {
    const g = buildGrammar({ yes: ['yes please'], odd: ['frobnicate'] });
    expect(missingWords(g, 'yes Y EH S\nplease P L IY Z\nplease(2) P L IY S\n')).toEqual(['frobnicate']);
  });

  it('the built-in flows build valid grammars', () => {
    for (const flow of Object.values(DEFAULT_FLOWS)) {
      const g = buildGrammar(flow.intents as unknown as Record<string, string[]>);
      expect(g.sentences.size).toBeGreaterThan(5);
    }
  });
});
