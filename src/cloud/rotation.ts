/**
 * When to replace a session (pure; the keeper executes). Realtime ends a session at 60 minutes
 * (`session_expired`); Live announces `expires_at`. Rotating at a turn boundary a little before the
 * cap means the customer never hears a reply cut by the server; if no boundary comes, rotate anyway
 * just before the cap (a cut sentence beats a dead session).
 */
export interface RotationInput {
  now: number;
  /** When the session became ready. */
  connectedAt: number;
  /** Server-announced end (Live), epoch ms in the same clock as now. */
  expiresAt?: number;
  /** Known cap when the server announces none (Realtime 60 min). */
  capMs: number;
  /** Start looking for a boundary this long before the end. */
  marginMs: number;
  /** Forced rotation this long before the end, boundary or not. */
  hardMarginMs: number;
  /** Nobody is talking and no reply or tool call is pending. */
  atTurnBoundary: boolean;
}

export type RotationDecision = 'keep' | 'rotate';

export function sessionEnd(i: Pick<RotationInput, 'connectedAt' | 'expiresAt' | 'capMs'>): number {
  const capEnd = i.connectedAt + i.capMs;
  return i.expiresAt !== undefined ? Math.min(i.expiresAt, capEnd) : capEnd;
}

export function planRotation(i: RotationInput): RotationDecision {
  const end = sessionEnd(i);
  if (i.now >= end - i.hardMarginMs) return 'rotate';
  if (i.now >= end - i.marginMs && i.atTurnBoundary) return 'rotate';
  return 'keep';
}
