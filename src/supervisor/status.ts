import type { ComponentHealth, ComponentState } from './component.js';

export interface StatusPart {
  name: string;
  state: ComponentState;
  health: ComponentHealth;
}

/** STATUS= is shown whole by `systemctl status`; keep it to one readable line. */
const MAX_LINE = 400;
/** Each component's summary is clipped so one long error cannot push the others off the line. */
const MAX_SUMMARY = 120;

const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** The one-line state for systemd's STATUS= and the periodic log record. */
export function statusLine(version: string, parts: StatusPart[]): string {
  const bad = parts.filter((p) => p.state !== 'running' || !p.health.healthy).length;
  const overall = bad === 0 ? 'ok' : `degraded (${bad}/${parts.length})`;
  const each = parts.map((p) => {
    const s = p.state === 'running' ? (p.health.healthy ? 'ok' : 'unhealthy') : p.state;
    return p.health.summary ? `${p.name} ${s} (${clip(p.health.summary, MAX_SUMMARY)})` : `${p.name} ${s}`;
  });
  return clip(`voiceterm ${version} ${overall}: ${each.join('; ')}`, MAX_LINE);
}
