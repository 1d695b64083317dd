/**
 * The corpora's talker sets must not overlap: the near-end detector trains on TRAINING_TALKERS, its
 * thresholds are chosen on VALIDATION_TALKERS, and `bench frontend` reports on EVAL_TALKERS. A
 * voice or a sentence in two of them would make the held-out figures not held out.
 */
import { describe, expect, it } from 'vitest';
import {
  EVAL_TALKERS,
  TALKER_SETS,
  TRAINING_TALKERS,
  VALIDATION_TALKERS,
} from '../../bench/corpus/speech.js';

const voices = (t: typeof EVAL_TALKERS) => new Set([...t.agentVoices, ...t.customerVoices]);
const lines = (t: typeof EVAL_TALKERS) => new Set([...t.agentLines, ...t.customerLines]);
const shared = <T>(a: Set<T>, b: Set<T>) => [...a].filter((x) => b.has(x));

describe('corpus talker sets', () => {
  const pairs = [
    ['eval', 'training'],
    ['eval', 'validation'],
    ['training', 'validation'],
  ] as const;

  it.each(pairs)('%s and %s share no voice and no sentence', (a, b) => {
    expect(shared(voices(TALKER_SETS[a]), voices(TALKER_SETS[b]))).toEqual([]);
    expect(shared(lines(TALKER_SETS[a]), lines(TALKER_SETS[b]))).toEqual([]);
  });

  it('in each set an agent never has a customer voice', () => {
    for (const t of Object.values(TALKER_SETS)) {
      expect(shared(new Set(t.agentVoices), new Set(t.customerVoices))).toEqual([]);
    }
  });

  it('the detector trains on many voices, and validates on voices of its own', () => {
    expect(voices(TRAINING_TALKERS).size).toBeGreaterThan(200);
    expect(voices(VALIDATION_TALKERS).size).toBeGreaterThan(50);
    // the evaluation corpus draws no speed, so its cases are the ones every session reported on
    expect(EVAL_TALKERS.speeds).toBeUndefined();
  });
});
