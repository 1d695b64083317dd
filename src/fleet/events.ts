/**
 * Bus events forwarded to the fleet `events` topic as-is (kind = the bus event name). To forward
 * yours, add its name here (it must exist in BusEvents), or emit `fleet.event` yourself.
 */
import type { BusEvents } from '../supervisor/bus.js';
import './bus-events.js';

export const FORWARDED_BUS_EVENTS: readonly (keyof BusEvents)[] = [
  'component.state',
  'fleet.killSwitch',
  'fleet.handoffMode',
  'fleet.configApplied',
];

/** Audit-class kinds are kept longest under queue pressure. */
export function isAuditKind(kind: string): boolean {
  return kind.startsWith('tool.') || kind.startsWith('audit') || kind === 'fleet.killSwitch';
}
