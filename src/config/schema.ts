/**
 * The configuration schema: one source of truth for types, defaults, validation and key meta
 * (restart-required, secret, environment overrides). Each subsystem owns a section file in
 * ./sections/; this file only composes them.
 */
import { z } from 'zod';
import { audioSchema } from './sections/audio.js';
import { cloudSchema } from './sections/cloud.js';
import { conversationSchema } from './sections/conversation.js';
import { deviceSchema } from './sections/device.js';
import { fleetSchema } from './sections/fleet.js';
import { frontendSchema } from './sections/frontend.js';
import { logSchema } from './sections/log.js';
import { offlineSchema } from './sections/offline.js';
import { supervisorSchema } from './sections/supervisor.js';
import { toolsSchema } from './sections/tools.js';
import { updateSchema } from './sections/update.js';

export const configSchema = z.strictObject({
  device: deviceSchema,
  log: logSchema,
  supervisor: supervisorSchema,
  audio: audioSchema,
  frontend: frontendSchema,
  cloud: cloudSchema,
  conversation: conversationSchema,
  tools: toolsSchema,
  fleet: fleetSchema,
  offline: offlineSchema,
  update: updateSchema,
});

export type Config = z.infer<typeof configSchema>;
/** What a YAML file may hold: any subset, validated after merging over the board's defaults. */
export type ConfigInput = z.input<typeof configSchema>;
