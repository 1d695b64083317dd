import { z } from 'zod';
import { defaultDecisionConfig as d } from '../../frontend/decision.js';
import { restart } from '../meta.js';

/**
 * The front-end (src/frontend): where its models live and the barge-in decision's margins (see
 * src/frontend/README.md; the defaults are the decision's own, measured ones). The canceller's own constants are in the generated graph
 * (models/gen/aec.py), not here: changing them means regenerating and re-measuring.
 */
export const frontendSchema = restart(
  z
    .strictObject({
      /** Directory with manifest.json and the model files; empty = models/ of the installation. */
      modelsDir: z.string().default(''),
      decision: z
        .strictObject({
          /** Silero probability that counts as speech. */
          onThreshold: z.number().min(0).max(1).default(d.onThreshold),
          /** Output level above the background a speech chunk needs, dB. */
          noiseMarginDb: z.number().min(0).max(40).default(d.noiseMarginDb),
          /** While the agent plays: output level relative to the echo estimate a chunk needs, dB. */
          echoMarginDb: z.number().min(-60).max(0).default(d.echoMarginDb),
          /** ...and above the residual echo implied by the measured ERLE, dB. */
          residualMarginDb: z.number().min(0).max(40).default(d.residualMarginDb),
          /** ...and above the canceller's own residual-echo estimate, dB (residual bursts sit close to it). */
          residualEstimateMarginDb: z.number().min(0).max(40).default(d.residualEstimateMarginDb),
          /** Share of a chunk with the canceller's double-talk flag up that drops the ERLE-implied echo margin. */
          doubleTalkShare: z.number().min(0).max(1).default(d.doubleTalkShare),
          /** A chunk flagged double talk throughout, at the echo's level, starts speech this far above the
           * residual-echo estimate, dB (at Silero >= 0.1). */
          doubleTalkResidualMarginDb: z.number().min(0).max(60).default(d.doubleTalkResidualMarginDb),
          /** 32 ms chunks of the agent's voice after a reset before the canceller counts as converged. */
          warmupFarChunks: z.number().int().min(0).max(1000).default(d.warmupFarChunks),
          /** Quiet 32 ms chunks that end speech. */
          offChunks: z.number().int().min(1).max(100).default(d.offChunks),
          /** Near-end detector (while the agent plays): probability that counts a 10 ms hop as sure... */
          nearEndProb: z.number().min(0.5).max(1).default(d.nearEndProb),
          /** ...and this many sure hops start speech... */
          nearEndHops: z.number().int().min(1).max(30).default(d.nearEndHops),
          /** ...within the last this many hops (= nearEndHops: in a row). */
          nearEndWindow: z.number().int().min(1).max(30).default(d.nearEndWindow),
          /** The detector's summed evidence (log-odds over nearEndEvidenceProb per hop) that starts speech
           * with Silero at nearEndEvidenceVadProb in its last ~100 ms (0: rule off). */
          nearEndEvidence: z.number().min(0).max(200).default(d.nearEndEvidence),
          nearEndEvidenceProb: z.number().min(0.5).max(0.98).default(d.nearEndEvidenceProb),
          nearEndEvidenceVadProb: z.number().min(0).max(1).default(d.nearEndEvidenceVadProb),
          /** Silero's starts while the agent plays need the detector at this in the chunk (0: no veto). */
          nearEndVetoProb: z.number().min(0).max(1).default(d.nearEndVetoProb),
        })
        .prefault({})
        .refine((x) => x.nearEndWindow >= x.nearEndHops, {
          message: 'nearEndWindow must be at least nearEndHops',
          path: ['nearEndWindow'],
        }),
    })
    .prefault({}),
);

export type FrontendConfig = z.infer<typeof frontendSchema>;
