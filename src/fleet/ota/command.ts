/**
 * The `update` command (`<prefix>/<id>/cmd/update`): what the fleet sends. Validated before anything
 * happens, so a malformed command is answered with the offending field and changes nothing.
 *
 *   { "url": "https://updates.example/voiceterm-1.4.0.raucb",
 *     "sha256": "<64 hex>", "version": "1.4.0",
 *     "size": 73728,                          // optional, bytes
 *     "deadline": "2026-12-01T06:00:00Z",     // optional: reboot by then even outside the window
 *     "window": "02:00-05:00" }               // optional: local time; default update.maintenanceWindow
 */
import { z } from 'zod';
import { windowPattern } from '../../config/sections/update.js';

export const updateCommandSchema = z.strictObject({
  url: z
    .string()
    .url('a URL')
    .refine((u) => /^https?:\/\//i.test(u), 'an http:// or https:// URL'),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, '64 hex digits (the bundle file’s sha256)'),
  version: z.string().min(1).max(128),
  size: z.number().int().positive().optional(),
  deadline: z.iso.datetime({ offset: true }).optional(),
  window: z.string().regex(windowPattern, '"HH:MM-HH:MM" (local time)').optional(),
});

export type UpdateCommand = z.infer<typeof updateCommandSchema>;

/** A refusal the command layer turns into an error response (code matches the fleet registry's). */
export class UpdateRefusal extends Error {
  constructor(
    readonly code: 'busy' | 'invalid' | 'failed',
    message: string,
  ) {
    super(message);
  }
}
