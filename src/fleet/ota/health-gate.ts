/**
 * The post-reboot health gate: the new slot is kept (Mark good) only when the terminal is really
 * working — supervisor READY, audio devices open, front-end loaded, broker connected, cloud
 * reachable (or explicitly waived). Each of those is a component whose health() already says so;
 * the gate only reads them, so it stays a pure function of a lookup.
 */
import type { ComponentHealth } from '../../supervisor/component.js';

export interface GateConfig {
  requiredComponents: string[];
  waiveCloud: boolean;
}

export interface GateVerdict {
  ok: boolean;
  /** "audio: device lost", "cloud: not registered", "supervisor: not ready" … */
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
    if (cfg.waiveCloud && name === 'cloud') continue;
    const h = healthOf(name);
    if (!h) failing.push(`${name}: not registered`);
    else if (!h.healthy) failing.push(`${name}: ${h.summary ?? 'unhealthy'}`);
  }
  return { ok: failing.length === 0, failing };
}
