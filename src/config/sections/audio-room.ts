import { z } from 'zod';

/**
 * `audio.room`: the acoustic room simulator used when `audio.backend: room` (board `sim`, tests).
 * Mirrors a subset of RoomScenario (src/audio/room/scenario.ts) in config-file terms.
 */
export const roomSchema = z
  .strictObject({
    /** Loop the bundled demo conversation: agent prompt to the loudspeaker, customer at the mic. */
    demo: z.boolean().default(true),
    /** Seed of the synthetic room and the noise (same seed, same samples). */
    seed: z.number().int().min(0).default(1),
    /** Reverberation time of the synthetic echo path, seconds. */
    rt60S: z.number().positive().max(5).default(0.3),
    /** Bulk delay loudspeaker → mic, ms. */
    delayMs: z.number().min(0).max(2000).default(20),
    /** Echo path gain, dB (0: the echo is as loud as the playback). */
    echoGainDb: z.number().min(-80).max(20).default(-6),
    /** Loudspeaker soft-clip level (y = level·tanh(x/level)); absent: linear loudspeaker. */
    softclipLevel: z.number().positive().max(10).optional(),
    noise: z
      .strictObject({
        type: z.enum(['none', 'white', 'pink', 'babble']).default('pink'),
        /** Noise level relative to the near-end talkers' active speech level. */
        snrDb: z.number().min(-20).max(80).default(25),
      })
      .prefault({}),
    /** Extra near-end talkers (WAV files), on top of the demo's customer. */
    talkers: z
      .array(
        z.strictObject({
          wav: z.string().min(1),
          atMs: z.number().min(0),
          gainDb: z.number().min(-80).max(20).default(0),
        }),
      )
      .default([]),
    /** Repeat the talker schedule every loopMs (the demo sets its own loop when absent). */
    loopMs: z.number().int().min(10).optional(),
  })
  .prefault({});

export type RoomConfig = z.infer<typeof roomSchema>;
