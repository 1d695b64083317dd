/**
 * Bus events the fleet component emits and listens to. Any subsystem can put something on the
 * fleet's `events` topic without importing fleet code:
 *
 *   ctx.bus.emit('fleet.event', { kind: 'session.summary', data: { turns: 4, ... } });
 *   ctx.bus.emit('fleet.event', { kind: 'tool.audit', data: {...}, audit: true }); // kept longest
 *
 * Data is redacted before it is queued. Bus events listed in FORWARDED_BUS_EVENTS (events.ts) are
 * forwarded as they are, with the bus event name as `kind`.
 */
import type { HandoffMode } from './state-store.js';

declare module '../supervisor/bus.js' {
  interface BusEvents {
    /** Publish on `<prefix>/<id>/events`. */
    'fleet.event': { kind: string; data: Record<string, unknown>; audit?: boolean };
    /** The kill switch changed (remote command) or was restored from the state dir at start. */
    'fleet.killSwitch': { on: boolean; reason?: string; source: 'remote' | 'restored' };
    'fleet.handoffMode': { mode: HandoffMode; source: 'remote' | 'restored' };
    /** A remote config change: `live` keys are already in ctx.config; `restartRequired` wait. */
    'fleet.configApplied': { live: string[]; restartRequired: string[] };
    'fleet.link': { state: 'online' | 'offline' };
  }
}
