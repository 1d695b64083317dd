import { z } from 'zod';

const decision = z.enum(['allow', 'confirm', 'deny']);

/** Device-side tools (src/tools/): which exist, who may run them, and the audit log. */
export const toolsSchema = z
  .strictObject({
    /** Built-in example tool set; `none` offers the model no tools. */
    set: z.enum(['none', 'drive-thru']).default('none'),
    /** Policy for a registered tool without an entry in `policies`. Unknown tools are always denied. */
    default: decision.default('deny'),
    /** Per tool: allow | confirm (spoken yes first) | deny. Merged over the set's own defaults. */
    policies: z.record(z.string(), decision).default({}),
    timeoutMs: z.number().int().min(100).max(120_000).default(5000),
    /** Extra attempts for failures a tool marks retryable. */
    retries: z.number().int().min(0).max(5).default(2),
    /** How long a confirmation question waits for the customer's answer. */
    confirmTimeoutMs: z.number().int().min(1000).max(120_000).default(15_000),
    audit: z
      .strictObject({
        /** Empty → <supervisor.stateDir>/audit */
        dir: z.string().default(''),
        maxBytes: z
          .number()
          .int()
          .min(4096)
          .default(5 * 1024 * 1024),
        keepFiles: z.number().int().min(1).max(100).default(10),
      })
      .prefault({}),
  })
  .prefault({});
