import { z } from 'zod';
import { restart } from '../meta.js';

/** "HH:MM-HH:MM" in the device's local time; may wrap midnight ("22:00-04:00"). */
export const windowPattern = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;

export const updateSchema = z
  .strictObject({
    /** Run the OTA component (RAUC). Off only on machines that have no RAUC at all. */
    enabled: restart(z.boolean().default(true)),
    /** D-Bus address of the bus RAUC listens on. Empty → the system bus. */
    dbusAddress: restart(z.string().default('')),
    /** RAUC system.conf for the few CLI calls (the reason a bundle was rejected). Empty → RAUC's default. */
    raucConf: restart(z.string().default('')),
    /** Where bundles are downloaded (the data partition). Empty → $CACHE_DIRECTORY (systemd), else <stateDir>/ota. */
    downloadDir: restart(z.string().default('')),
    /** Refuse bundles larger than this (before and while downloading). */
    maxBundleMb: z.number().int().min(1).max(16_384).default(1024),
    /** Keep this much free space on the download partition after the bundle is stored. */
    minFreeMb: z.number().int().min(0).default(64),
    /** Default maintenance window when a command names none; empty → any time. */
    maintenanceWindow: z
      .union([z.literal(''), z.string().regex(windowPattern, '"HH:MM-HH:MM" (local time)')])
      .default(''),
    /** Progress messages on `<prefix>/<id>/update` at most this often (state changes always go out). */
    progressIntervalMs: z.number().int().min(100).max(60_000).default(2000),
    /** After a reboot request, wait this long for the machine to go down before asking again. */
    rebootRetryS: z.number().int().min(1).max(3600).default(120),
    /** Command that reboots the device once the update is installed and nobody is talking. */
    rebootCommand: restart(z.array(z.string().min(1)).min(1).default(['systemctl', 'reboot'])),
    /** After booting into the new slot: what must be healthy, and how long it may take. */
    healthGate: z
      .strictObject({
        timeoutS: z.number().int().min(10).max(3600).default(300),
        /** Components that must be running and healthy (audio open, front-end loaded, …). Supervisor
         *  READY and the broker connection are always required. */
        requiredComponents: z.array(z.string().min(1)).default(['audio', 'conversation', 'fleet']),
        /** Don't require the cloud session to be up (a site without internet during commissioning). */
        waiveCloud: z.boolean().default(false),
      })
      .prefault({}),
  })
  .prefault({});

export type UpdateConfig = z.infer<typeof updateSchema>;
