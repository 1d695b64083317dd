/**
 * Bus events of the offline subsystem. Consumers:
 *  - the session keeper / duplex engine: `offline.mode` (stop sending turns to the cloud while not
 *    `cloud`), `offline.resume` (put `history` into the new session's context);
 *  - fleet telemetry: `offline.link`, `offline.handoff` (also sent as a `fleet.event` so it reaches
 *    the crew headset / call centre over MQTT).
 */
import type { LinkState } from './link-health.js';

export type OfflineMode = 'cloud' | 'offline' | 'killed';

export interface OfflineHistoryLine {
  role: 'user' | 'agent';
  text: string;
}

declare module '../supervisor/bus.js' {
  interface BusEvents {
    /** Link health changed (online | degraded | offline), with why. */
    'offline.link': { state: LinkState; reason: string };
    /** Who serves the person now: the cloud model, the on-device flow, or nobody (kill switch). */
    'offline.mode': { mode: OfflineMode; reason: string };
    /** A person must take over: reason (intent:person, no-answer, kill-switch) and what was said. */
    'offline.handoff': { reason: string; mode: OfflineMode; transcript: string; at: string };
    /** Back to the cloud at a turn boundary: what was said offline, for the new session's context. */
    'offline.resume': { history: OfflineHistoryLine[] };
    /** The on-device flow said something (for traces; the bench times link loss → first prompt). */
    'offline.prompt': { state: string; text: string; source: string };
  }
}
