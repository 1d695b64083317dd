import { z } from 'zod';
import { restart } from '../meta.js';

export const deviceSchema = z
  .strictObject({
    /** Fleet identity: MQTT client id and topic segment. Empty → derived from /etc/machine-id. */
    id: restart(
      z
        .string()
        .regex(/^[A-Za-z0-9_-]*$/, 'only letters, digits, "-" and "_" (it is an MQTT topic segment)')
        .max(64)
        .default(''),
    ),
    /** Board profile whose board/<name>/config.yaml supplies defaults. */
    board: restart(z.string().min(1).default('sim')),
    /** Human-readable site/lane name shown in fleet health. */
    name: z.string().default(''),
  })
  .prefault({});
