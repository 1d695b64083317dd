/**
 * Who serves the person: a pure decision over the link state, the kill switch and whether we are at
 * a turn boundary. Going down is immediate (nobody may be left talking to silence); coming back to
 * the cloud waits for a turn boundary (never cut our own offline prompt or the customer off).
 */
import type { OfflineMode } from './events.js';
import type { LinkState } from './link-health.js';

export interface ModeInputs {
  link: LinkState;
  killSwitch: boolean;
  /** Nobody is speaking in the offline flow right now (see FlowRunner.atTurnBoundary). */
  atTurnBoundary: boolean;
}

export function nextMode(current: OfflineMode, i: ModeInputs): OfflineMode {
  if (i.killSwitch) return 'killed';
  switch (current) {
    case 'cloud':
      // Degraded keeps the cloud: slow-but-working beats a canned flow; offline is the line.
      return i.link === 'offline' ? 'offline' : 'cloud';
    case 'offline':
      // Hysteresis lives in LinkHealth: 'online' already means healthy for recoverAfterMs.
      return i.link === 'online' && i.atTurnBoundary ? 'cloud' : 'offline';
    case 'killed':
      // Switch turned off: let the fixed message finish, then whichever side can serve.
      if (!i.atTurnBoundary) return 'killed';
      return i.link === 'offline' ? 'offline' : 'cloud';
  }
}
