/**
 * The versioned aec.onnx computes what the canceller computed when test/fixtures/aec-reference.json
 * was recorded (the graph before the node-count restructuring): same cleaned output, same figures,
 * same converged filter, over a deterministic 5 s scene with far end alone, double talk and the
 * customer alone. Graph restructurings must keep this passing; a deliberate change of the algorithm
 * or its constants re-records the fixture:
 *   AEC_RECORD_REFERENCE=1 npx vitest run test/integration/aec-equivalence.test.ts
 *   npx biome format --write test/fixtures/aec-reference.json
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EchoCanceller } from '../../src/frontend/aec.js';
import { type AecTrace, TRACE_HOPS, traceAec } from '../helpers/aec-trace.js';

const root = join(import.meta.dirname, '../..');
const fixture = join(root, 'test/fixtures/aec-reference.json');

/** Relative difference, with a floor so values near zero compare on the scale of the signal. */
function rel(a: number, b: number, scale: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), scale);
}

describe('aec.onnx equivalence with the recorded reference', () => {
  it('reproduces the reference trace (output, figures, filter) within 1e-4 relative', () => {
    const aec = new EchoCanceller(join(root, 'models'));
    const got = traceAec(aec);
    aec.dispose();
    if (process.env.AEC_RECORD_REFERENCE) {
      const round = (x: number) => Number(x.toPrecision(8));
      const rounded = {
        config: aec.meta.config,
        hops: got.hops.map((h) => h.map(round)),
        partitions: got.partitions.map(round),
      };
      writeFileSync(fixture, `${JSON.stringify(rounded)}\n`);
    }
    const want = JSON.parse(readFileSync(fixture, 'utf8')) as AecTrace & { config: object };
    expect(
      aec.meta.config,
      'models/gen/aec.py CFG differs from the one the reference was recorded with: re-record (see the top of this file)',
    ).toEqual(want.config);
    expect(got.hops.length).toBe(TRACE_HOPS);
    // the scene exercises every branch: echo removed, double talk flagged, customer kept
    const dtHops = want.hops.filter((h) => h[4] === 1).length;
    expect(dtHops).toBeGreaterThan(20);
    let worst = 0;
    let worstAt = '';
    for (let h = 0; h < TRACE_HOPS; h++) {
      const [g, w] = [got.hops[h], want.hops[h]];
      expect(g[4], `double talk at hop ${h}`).toBe(w[4]);
      // samples: relative to the hop's output RMS, but at least -40 dB of the microphone's: where the echo
      // is suppressed ~50 dB the output is what is left of a difference of large numbers, and float32
      // reordering alone moves it ~1e-4 of its own RMS
      const sampleScale = Math.max(Math.sqrt(w[6] / 160), 1e-2 * Math.sqrt(w[0] / 160), 1e-7);
      const scales = [1e-9, 1e-9, 1e-9, 1e-9, 1, 1e-3, 1e-12, sampleScale, sampleScale];
      for (let j = 0; j < w.length; j++) {
        const d = j === 5 ? Math.abs(g[j] - w[j]) / 10 : rel(g[j], w[j], scales[j]); // dB: 1e-4 of 10 dB
        if (d > worst) [worst, worstAt] = [d, `hop ${h} field ${j}: ${g[j]} vs ${w[j]}`];
      }
    }
    const total = want.partitions.reduce((a, b) => a + b, 0);
    for (let p = 0; p < want.partitions.length; p++) {
      const d = rel(got.partitions[p], want.partitions[p], 1e-3 * total);
      if (d > worst) [worst, worstAt] = [d, `partition ${p}: ${got.partitions[p]} vs ${want.partitions[p]}`];
    }
    expect(worst, worstAt).toBeLessThan(1e-4);
  });
});
