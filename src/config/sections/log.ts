import { z } from 'zod';

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);

export const logSchema = z
  .strictObject({
    level: logLevel.default('info'),
    /** Per-component overrides, e.g. `{ audio: debug }`. */
    components: z.record(z.string(), logLevel).default({}),
    /** Seconds between the periodic one-line status record. */
    statusIntervalS: z.number().min(1).max(3600).default(10),
  })
  .prefault({});
