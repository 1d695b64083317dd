/**
 * The post-reboot health gate: the new slot is kept (Mark good) only when the terminal is really
 * working — supervisor READY, audio devices open and the front-end loaded (the required components
 * healthy and running), broker connected, cloud reachable (or explicitly waived). Everything is read
 * from what components already report in health(), so the gate stays a pure function of a lookup:
 * - broker: the fleet component's `details.link === 'online'`
 * - cloud: the conversation component's `details.link === true` (its realtime session is up)
 */
import type { ComponentHealth } from '../../supervisor/component.js';

export interface GateConfig {
  requiredComponents: string[];
  waiveCloud: boolean;
}

export interface GateVerdict {
  ok: boolean;
  /** "audio: device lost", "cloud: not reachable", "supervisor: not ready" … */
  failing: string[];
}

export function evaluateGate(
  cfg: GateConfig,
  supervisorReady: boolean,
  healthOf: (name: string) => ComponentHealth | undefined,
): GateVerdict {
  const failing: string[] = [];
  if (!supervisorReady) failing.push('supervisor: not ready');
  for (const name of cfg.requiredComponents) {
    const h = healthOf(name);
    if (!h) failing.push(`${name}: not registered`);
    else if (!h.healthy) failing.push(`${name}: ${h.summary ?? 'unhealthy'}`);
  }
  const fleet = healthOf('fleet');
  if (fleet && fleet.summary !== 'disabled' && fleet.details?.link !== 'online') {
    failing.push(`broker: not connected (${String(fleet.details?.link ?? 'unknown')})`);
  }
  if (!cfg.waiveCloud && healthOf('conversation')?.details?.link !== true)
    failing.push('cloud: not reachable');
  return { ok: failing.length === 0, failing };
}
