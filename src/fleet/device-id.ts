/**
 * The fleet identity (MQTT client id and topic segment): `device.id` when set; otherwise derived
 * from /etc/machine-id the way sd_id128_get_machine_app_specific(3) advises — an HMAC keyed by the
 * machine id, so the raw machine id never leaves the box — as `vt-` + 12 hex digits. Stable across
 * reboots and updates (machine-id lives on the data partition), unique per installed system.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

const APP_KEY = 'voiceterm.fleet.device-id.v1';

export function deriveDeviceId(machineId: string): string {
  return `vt-${createHmac('sha256', machineId.trim()).update(APP_KEY).digest('hex').slice(0, 12)}`;
}

export function resolveDeviceId(configured: string, machineIdPath = '/etc/machine-id'): string {
  if (configured) return configured;
  try {
    const mid = readFileSync(machineIdPath, 'utf8').trim();
    if (/^[0-9a-f]{32}$/i.test(mid)) return deriveDeviceId(mid);
  } catch {
    // no machine id (a container): fall through
  }
  return deriveDeviceId(`host:${hostname()}`);
}
