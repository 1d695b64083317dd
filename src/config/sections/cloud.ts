import { z } from 'zod';
import { mark } from '../meta.js';

export const cloudSchema = z
  .strictObject({
    /** `none` runs without a cloud model (offline flow only). */
    provider: z.enum(['none', 'openai-realtime', 'gpt-live']).default('none'),
    /** wss:// base, e.g. wss://api.openai.com/v1 or wss://<resource>.openai.azure.com/openai/v1 */
    baseUrl: z.url({ protocol: /^wss?$/ }).default('wss://api.openai.com/v1'),
    /** Model name (OpenAI) or deployment name (Azure). */
    model: z.string().min(1).default('gpt-realtime'),
    auth: z.enum(['bearer', 'azure-api-key']).default('bearer'),
    apiKey: mark(z.string().default(''), {
      secret: true,
      env: ['VOICETERM_API_KEY', 'OPENAI_API_KEY', 'AZURE_OPENAI_API_KEY'],
    }),
    instructions: z.string().default('You are a helpful voice assistant at a terminal. Keep answers short.'),
    voice: z.string().default('marin'),
  })
  .prefault({});
