import { z } from 'zod';
import { restart } from '../meta.js';
import { roomSchema } from './audio-room.js';

/** Sample rates the audio engine runs the device at. The front-end works at 16 kHz internally. */
export const deviceRate = z.literal([16000, 48000]);

const pcmDirection = z.strictObject({
  /** ALSA PCM name, e.g. `hw:CARD=Array,DEV=0` or `plughw:1,0`. */
  device: z.string().min(1).default('default'),
  rate: deviceRate.default(16000),
  channels: z.number().int().min(1).max(16).default(1),
  format: z.enum(['S16_LE', 'S32_LE', 'FLOAT_LE']).default('S16_LE'),
});

export const audioSchema = restart(
  z
    .strictObject({
      /** `alsa`: a real sound card. `room`: the acoustic simulator (no sound card needed). */
      backend: z.enum(['alsa', 'room']).default('room'),
      capture: pcmDirection
        .extend({
          /** Which capture channel carries the (beamformed) microphone signal. */
          micChannel: z.number().int().min(0).max(15).default(0),
        })
        .prefault({ device: 'default' }),
      playback: pcmDirection.prefault({ device: 'default' }),
      /** ALSA period in frames at the device rate (10 ms at 16 kHz = 160). */
      periodFrames: z.number().int().min(32).max(8192).default(160),
      /** ALSA buffer in periods. */
      bufferPeriods: z.number().int().min(2).max(32).default(4),
      /** The room simulator (backend `room`). */
      room: roomSchema,
      /** How often the audio component logs frame statistics, seconds. */
      statsIntervalS: z.number().min(1).max(3600).default(5),
    })
    .prefault({}),
);
