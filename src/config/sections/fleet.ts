import { z } from 'zod';
import { mark, restart } from '../meta.js';

const brokerSchema = restart(
  z.strictObject({
    /** mqtt://, mqtts://, ws:// or wss:// URL of the fleet broker. */
    url: z.string().regex(/^(mqtts?|wss?):\/\/.+/, 'an mqtt://, mqtts://, ws:// or wss:// URL'),
    username: mark(z.string().optional(), { secret: false, env: ['VOICETERM_MQTT_USERNAME'] }),
    password: mark(z.string().optional(), { secret: true, env: ['VOICETERM_MQTT_PASSWORD'] }),
    /** mTLS files (PEM paths). */
    tls: z
      .strictObject({
        ca: z.string().optional(),
        cert: z.string().optional(),
        key: z.string().optional(),
      })
      .optional(),
    keepaliveS: z.number().int().min(5).max(3600).default(30),
  }),
);

export const fleetSchema = z
  .strictObject({
    /** Absent → an embedded broker on 127.0.0.1 (development default); present → never embedded. */
    broker: brokerSchema.optional(),
    topicPrefix: restart(z.string().min(1).default('voiceterm')),
    embeddedBrokerPort: restart(z.number().int().min(0).max(65535).default(1883)),
    healthIntervalS: z.number().min(1).max(3600).default(30),
  })
  .prefault({});
