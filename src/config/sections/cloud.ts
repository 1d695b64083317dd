import { z } from 'zod';
import { mark } from '../meta.js';

export const cloudSchema = z
  .strictObject({
    /** `none` runs without a cloud model (offline flow only): nothing connects anywhere. */
    provider: z.enum(['none', 'openai-realtime', 'gpt-live']).default('none'),
    /** wss:// base, e.g. wss://api.openai.com/v1 or wss://<resource>.openai.azure.com/openai/v1 (or an operator's relay) */
    baseUrl: z.url({ protocol: /^wss?$/ }).default('wss://api.openai.com/v1'),
    /** Model name (OpenAI) or deployment name (Azure) for openai-realtime. */
    model: z.string().min(1).default('gpt-realtime'),
    /** Model (or Azure deployment) for gpt-live. */
    liveModel: z.string().min(1).default('gpt-live-1'),
    /** GPT-Live audio rate (one format both ways); 16000 matches the front-end (no resampling). */
    liveRate: z.literal([16000, 24000]).default(16000),
    auth: z.enum(['bearer', 'azure-api-key']).default('bearer'),
    apiKey: mark(z.string().default(''), {
      secret: true,
      env: ['VOICETERM_API_KEY', 'OPENAI_API_KEY', 'AZURE_OPENAI_API_KEY'],
    }),
    instructions: z.string().default('You are a helpful voice assistant at a terminal. Keep answers short.'),
    voice: z.string().default('marin'),
    /** Realtime input transcription model (needed for spoken tool confirmations); '' turns it off. */
    transcriptionModel: z.string().default('gpt-4o-mini-transcribe'),
    /** Socket open + session confirmed within this, else the attempt counts as failed. */
    connectTimeoutMs: z.number().int().min(500).max(60_000).default(5000),
    /**
     * WebSocket pings, so a dead link is noticed between turns too (link health: offline.link
     * pongTimeoutMs). deadAfterMs: no pong for this long drops the socket and reconnects even without
     * the offline flow. 0 turns either off.
     */
    keepalive: z
      .strictObject({
        pingIntervalMs: z.number().int().min(0).max(60_000).default(500),
        deadAfterMs: z.number().int().min(0).max(600_000).default(5000),
      })
      .prefault({}),
    /** Reconnect backoff (exponential, full jitter). */
    reconnect: z
      .strictObject({
        initialMs: z.number().int().min(50).max(60_000).default(500),
        maxMs: z.number().int().min(100).max(600_000).default(30_000),
      })
      .prefault({}),
    /** Session rotation before the service's cap (Realtime 60 min; Live announces expires_at). */
    rotation: z
      .strictObject({
        capS: z
          .number()
          .int()
          .min(10)
          .max(24 * 3600)
          .default(3600),
        /** Look for a turn boundary this long before the end. */
        marginS: z.number().int().min(1).default(180),
        /** Rotate anyway this long before the end. */
        hardMarginS: z.number().int().min(1).default(15),
      })
      .prefault({}),
    /** Transcript lines carried into a new session after rotation or reconnect. */
    historyLines: z.number().int().min(0).max(200).default(20),
  })
  .prefault({});
