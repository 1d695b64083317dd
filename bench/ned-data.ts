/**
 * `npm run bench -- ned-data [--seeds 1101,1102] [--cases 12] [--snr 10,30] [--clean-twins]
 *    [--talkers training|validation] [--out FILE]`
 *
 * The near-end detector's training data (models/gen/ned.py trains on it). Runs the canceller over the
 * *training* corpus (TRAINING_TALKERS: no sentence and no voice shared with the evaluation corpus of
 * `bench frontend`; seeds of its own) and writes, per 10 ms hop, the canceller's per-band figures and
 * the truth about the customer. Little-endian float32 rows of ROW values:
 *   [0, F)   EchoCanceller.feat (F = 5 × bands)
 *   F        the customer's level at the microphone over the hop's 20 ms STFT window, dB relative to
 *            their active level (the noise-free near-end signal: the label)
 *   F + 1    far end active (FarEndActivity, as the pipeline decides it), 0/1
 *   F + 2    ms since the onset of the customer utterance under way (−1 outside one)
 *   F + 3    1 inside an agent utterance that no customer overlaps (+300 ms): where a start is false
 *   F + 4    case id: seed × 100 + case index (rows of one case are contiguous and in time order)
 * `--snr LO,HI` draws the noise's SNR from that range (the evaluation corpus: 10-30 dB); with
 * `--clean-twins` every case is written a second time without noise (case id + 50): a terminal in
 * a quiet room, or a test rig with no noise at all, must not look new to the detector.
 * The last stdout line is a JSON summary (rows, columns, file).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EchoCanceller } from '../src/frontend/aec.js';
import { defaultModelsDir } from '../src/frontend/models.js';
import { FarEndActivity } from '../src/frontend/pipeline.js';
import { arg, parseSeeds } from './args.js';
import { makeCase } from './corpus/cases.js';
import { agentOnlyUtterances } from './corpus/metrics.js';
import { talkersNamed } from './corpus/speech.js';

const HOP = 160;
const RATE = 16000;

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const seeds = parseSeeds(arg(args, '--seeds') ?? '1001-1024');
  const nCases = Number(arg(args, '--cases') ?? 12);
  const file = arg(args, '--out') ?? join(tmpdir(), 'voiceterm-ned-data.f32');
  const snr = (arg(args, '--snr') ?? '10,30').split(',').map(Number) as [number, number];
  const twins = args.includes('--clean-twins');
  const talkerSet = arg(args, '--talkers') ?? 'training';
  const talkers = talkersNamed(talkerSet, ['training', 'validation']);
  // The canceller alone: its figures do not depend on the detector (the suppressor's output, which
  // does through ne_dt, is not among them), so the data needs no detector yet.
  const aec = new EchoCanceller(arg(args, '--models') ?? defaultModelsDir());
  const farEnd = new FarEndActivity();
  const F = aec.feat.length;
  const ROW = F + 5;
  const fd = openSync(file, 'w');
  let rows = 0;
  for (const seed of seeds) {
    for (let ci = 0; ci < nCases; ci++) {
      const c = makeCase(seed, ci, talkers, snr);
      for (const [mic, id] of twins
        ? ([
            [c.mic, ci],
            [c.micNoNoise, ci + 50],
          ] as const)
        : ([[c.mic, ci]] as const)) {
        const n = Math.floor(mic.length / HOP);
        const buf = new Float32Array(n * ROW);
        // the customer's active level (the generator sets it: -26 dBFS RMS)
        const activeMs = 0.05 * 0.05;
        const onsets = c.customer.map((cu) => cu.span);
        const agentOnly = agentOnlyUtterances(c);
        aec.reset();
        farEnd.reset();
        for (let h = 0; h < n; h++) {
          const i = h * HOP;
          const ref = c.ref.subarray(i, i + HOP);
          const far = farEnd.update(ref);
          aec.process(mic.subarray(i, i + HOP), ref);
          const row = buf.subarray(h * ROW, (h + 1) * ROW);
          row.set(aec.feat);
          let e = 0;
          for (let k = Math.max(0, i - HOP); k < i + HOP; k++) e += c.near[k] * c.near[k];
          row[F] = 10 * Math.log10(e / (2 * HOP) / activeMs + 1e-12);
          row[F + 1] = far ? 1 : 0;
          const on = onsets.find(([a, b]) => i + HOP >= a && i < b);
          row[F + 2] = on ? ((i + HOP - on[0]) * 1000) / RATE : -1;
          row[F + 3] = agentOnly.some(([a, end]) => i >= a && i < end) ? 1 : 0;
          row[F + 4] = seed * 100 + id;
        }
        writeSync(fd, new Uint8Array(buf.buffer));
        rows += n;
        console.error(`${c.id}${id >= 50 ? ' (no noise)' : ''} ${n} hops`);
      }
    }
  }
  closeSync(fd);
  aec.dispose();
  return { file, rows, columns: ROW, features: F, seeds, cases_per_seed: nCases };
}
