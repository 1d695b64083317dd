/**
 * The grammar builder: dialog intents → one JSGF grammar for pocketsphinx, and the decoder's
 * hypothesis text → intent.
 *
 * pocketsphinx_continuous prints only the recognised words, not which rule matched, so we expand
 * every phrase into its (few) sentences and look the hypothesis up. Phrases use the JSGF subset
 * `word`, `[optional]`, `(a | b)`; a phrase that expands to too many sentences or is claimed by two
 * intents is a config error, found when the config loads rather than when a customer speaks.
 */

/** Expansion limit per intent: a dialog grammar is small; more means a typo or a runaway phrase. */
const MAX_SENTENCES = 500;

type Node =
  | { kind: 'word'; word: string }
  | { kind: 'seq'; items: Node[] }
  | { kind: 'alt'; options: Node[] }
  | { kind: 'opt'; item: Node };

function tokenize(phrase: string): string[] {
  return phrase
    .replace(/([[\]()|])/g, ' $1 ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Parse one phrase; throws an Error naming the problem. */
export function parsePhrase(phrase: string): Node {
  const toks = tokenize(phrase.toLowerCase());
  let i = 0;
  const parseAlt = (close: string | undefined): Node => {
    const options: Node[] = [];
    let items: Node[] = [];
    for (;;) {
      const t = toks[i];
      if (t === undefined) {
        if (close) throw new Error(`"${phrase}": missing "${close}"`);
        break;
      }
      if (t === close) {
        i++;
        break;
      }
      i++;
      if (t === '|') {
        if (items.length === 0) throw new Error(`"${phrase}": empty alternative`);
        options.push({ kind: 'seq', items });
        items = [];
      } else if (t === '(') items.push(parseAlt(')'));
      else if (t === '[') items.push({ kind: 'opt', item: parseAlt(']') });
      else if (t === ')' || t === ']') throw new Error(`"${phrase}": unexpected "${t}"`);
      else if (/^[a-z0-9']+$/.test(t)) items.push({ kind: 'word', word: t });
      else throw new Error(`"${phrase}": "${t}" is not a word`);
    }
    if (items.length === 0)
      throw new Error(`"${phrase}": empty ${options.length ? 'alternative' : 'phrase'}`);
    options.push({ kind: 'seq', items });
    return options.length === 1 ? options[0] : { kind: 'alt', options };
  };
  return parseAlt(undefined);
}

function expand(node: Node, limit: number): string[][] {
  switch (node.kind) {
    case 'word':
      return [[node.word]];
    case 'opt':
      return [[], ...expand(node.item, limit)];
    case 'alt':
      return node.options.flatMap((o) => expand(o, limit));
    case 'seq': {
      let acc: string[][] = [[]];
      for (const item of node.items) {
        const parts = expand(item, limit);
        acc = acc.flatMap((a) => parts.map((p) => [...a, ...p]));
        if (acc.length > limit) throw new Error(`expands to more than ${limit} sentences`);
      }
      return acc;
    }
  }
}

/** Every sentence a phrase stands for, words joined by one space. */
export function sentencesOf(phrase: string): string[] {
  const out = expand(parsePhrase(phrase), MAX_SENTENCES).map((w) => w.join(' '));
  // An empty match would fire on any noise: every expansion must have a word.
  if (out.some((s) => s.length === 0)) throw new Error(`"${phrase}": can be empty`);
  return [...new Set(out)];
}

export interface IntentGrammar {
  /** The JSGF text for pocketsphinx (`-jsgf file`). */
  jsgf: string;
  /** Every word used, for the dictionary check. */
  words: Set<string>;
  /** Normalised sentence → intent. */
  sentences: Map<string, string>;
}

/** Build the grammar of a dialog; throws an Error listing every bad phrase. */
export function buildGrammar(intents: Record<string, readonly string[]>): IntentGrammar {
  const errors: string[] = [];
  const sentences = new Map<string, string>();
  const words = new Set<string>();
  const rules: string[] = [];
  for (const [intent, phrases] of Object.entries(intents)) {
    const ok: string[] = [];
    phrases.forEach((p, n) => {
      try {
        for (const s of sentencesOf(p)) {
          const other = sentences.get(s);
          if (other !== undefined && other !== intent)
            errors.push(`intents.${intent}[${n}]: "${s}" is also an answer of "${other}"`);
          sentences.set(s, intent);
          for (const w of s.split(' ')) words.add(w);
        }
        ok.push(p.toLowerCase().trim());
      } catch (e) {
        errors.push(`intents.${intent}[${n}]: ${(e as Error).message}`);
      }
    });
    if (ok.length) rules.push(`<${intent}> = ${ok.map((p) => `(${p})`).join(' | ')};`);
  }
  if (errors.length) throw new Error(errors.join('; '));
  const names = Object.keys(intents).map((i) => `<${i}>`);
  const jsgf = [
    '#JSGF V1.0;',
    'grammar dialog;',
    `public <answer> = ${names.join(' | ')};`,
    ...rules,
    '',
  ].join('\n');
  return { jsgf, words, sentences };
}

/** The intent of a decoder hypothesis, or undefined when it is none of them (or empty). */
export function intentOf(grammar: IntentGrammar, hypothesis: string): string | undefined {
  const norm = hypothesis
    .toLowerCase()
    .replace(/<[^>]*>|\[[^\]]*\]|\(\d+\)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return norm ? grammar.sentences.get(norm) : undefined;
}

/** Words of the grammar missing from a pocketsphinx dictionary text (word [phones…] per line). */
export function missingWords(grammar: IntentGrammar, dictText: string): string[] {
  const known = new Set<string>();
  for (const line of dictText.split('\n')) {
    const w = line.split(/\s/, 1)[0];
    if (w) known.add(w.replace(/\(\d+\)$/, ''));
  }
  return [...grammar.words].filter((w) => !known.has(w)).sort();
}
