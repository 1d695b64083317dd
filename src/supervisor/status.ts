import type { ComponentHealth, ComponentState } from './component.js';

export interface StatusPart {
  name: string;
  state: ComponentState;
  health: ComponentHealth;
}

/** The one-line state for systemd's STATUS= and the periodic log record. */
export function statusLine(version: string, parts: StatusPart[]): string {
  const bad = parts.filter((p) => p.state !== 'running' || !p.health.healthy).length;
  const overall = bad === 0 ? 'ok' : `degraded (${bad}/${parts.length})`;
  const each = parts.map((p) => {
    const s = p.state === 'running' ? (p.health.healthy ? 'ok' : 'unhealthy') : p.state;
    return p.health.summary ? `${p.name} ${s} (${p.health.summary})` : `${p.name} ${s}`;
  });
  return `voiceterm ${version} ${overall}: ${each.join('; ')}`.slice(0, 400);
}
