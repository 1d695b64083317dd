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
    /** The broker publishes our last will (`offline`) within 1.5 × this after we vanish silently. */
    keepaliveS: z.number().int().min(5).max(3600).default(30),
    /** 5 = MQTT 5 (response topic + correlation data); 4 = MQTT 3.1.1 (the `transaction` field only). */
    protocolVersion: z.literal([4, 5]).default(5),
  }),
);

export const fleetSchema = z
  .strictObject({
    /** false → no MQTT at all (the component does not start). */
    enabled: restart(z.boolean().default(true)),
    /** Absent → an embedded broker on 127.0.0.1 (development default); present → never embedded. */
    broker: brokerSchema.optional(),
    topicPrefix: restart(
      z
        .string()
        .regex(/^[^#+/][^#+]*$/, 'a topic prefix without + or # or a leading /')
        .default('voiceterm'),
    ),
    embeddedBrokerPort: restart(z.number().int().min(0).max(65535).default(1883)),
    /** Full health snapshot period. */
    healthIntervalS: z.number().min(1).max(3600).default(30),
    /** On-change health snapshots are sent at most this often. */
    healthMinGapS: z.number().min(0).max(3600).default(5),
    /** Reconnect backoff (full jitter) after a lost or refused connection. */
    reconnect: z
      .strictObject({
        initialMs: z.number().int().min(50).default(1000),
        maxMs: z.number().int().min(100).default(60_000),
      })
      .prefault({}),
    /** Durable outbound queue under <stateDir>/fleet-queue/. */
    queue: restart(
      z
        .strictObject({
          maxBytes: z
            .number()
            .int()
            .min(64 * 1024)
            .default(16 * 1024 * 1024),
          segmentBytes: z
            .number()
            .int()
            .min(4096)
            .default(1024 * 1024),
          /** fsync period: what a power cut can lose at most. */
          fsyncIntervalMs: z.number().int().min(10).max(10_000).default(100),
          /** Drain pacing after a reconnect, messages per second. */
          drainPerS: z.number().int().min(1).max(100_000).default(500),
          /** Unacknowledged messages on the wire at once. */
          inflight: z.number().int().min(1).max(1000).default(16),
        })
        .prefault({}),
    ),
    /** Extra redaction patterns (regular expressions) on top of cards, phones and e-mails. */
    redaction: z.strictObject({ patterns: z.array(z.string()).default([]) }).prefault({}),
    /** Stored audio/transcripts/traces (directories relative to the state dir) are deleted after this. */
    retention: z
      .strictObject({
        maxAgeHours: z.number().min(1).default(72),
        dirs: z.array(z.string().min(1)).default(['traces', 'audio', 'transcripts']),
      })
      .prefault({}),
    /** Upper bound of the `diagnostics` command's bundle (UTF-8 bytes of the JSON). */
    diagnosticsMaxBytes: z
      .number()
      .int()
      .min(4096)
      .max(4 * 1024 * 1024)
      .default(256 * 1024),
  })
  .prefault({});
