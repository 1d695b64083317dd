import { z } from 'zod';
import { restart } from '../meta.js';

export const supervisorSchema = restart(
  z
    .strictObject({
      /** Liveness: WATCHDOG=1 is withheld while the event loop lags more than this. */
      maxEventLoopLagMs: z.number().int().min(10).max(10_000).default(250),
      /** How often every component's health() is polled. */
      healthIntervalMs: z.number().int().min(50).max(60_000).default(1000),
      /** Restart backoff for a failed component: first delay, cap. */
      restartBackoffMs: z
        .strictObject({
          initial: z.number().int().min(10).default(500),
          max: z.number().int().min(10).default(30_000),
        })
        .prefault({}),
      /** SIGTERM → every component stopped within this budget, then exit. */
      stopTimeoutMs: z.number().int().min(100).max(30_000).default(4000),
      /** Where state that must survive restarts lives (kill switch, queues). Empty → $STATE_DIRECTORY
       *  (systemd), else /var/lib/voiceterm when writable, else ~/.local/state/voiceterm. */
      stateDir: z.string().default(''),
    })
    .prefault({}),
);
