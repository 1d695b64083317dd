/**
 * The queue's priority classes, as plain data so the drop and drain rules read in one place.
 *
 * - drain order (on reconnect and always): `response` → `audit` → `event` → `health`, FIFO inside
 *   a class, so a fleet tool waiting on a command answer is not stuck behind a backlog of events;
 * - drop order when the byte budget is exceeded: the lowest keep-rank goes first, oldest first,
 *   and never a class ranked above the incoming message (an incoming health snapshot cannot push
 *   out an event; it is refused instead). Health snapshots also coalesce: a newer one replaces
 *   any older one that has not been sent.
 */
export type PriorityClass = 'response' | 'audit' | 'event' | 'health';

export const DRAIN_ORDER: readonly PriorityClass[] = ['response', 'audit', 'event', 'health'];

/** Higher = kept longer under pressure. */
export const KEEP_RANK: Record<PriorityClass, number> = { health: 0, event: 1, audit: 2, response: 2 };

/** Classes an incoming message of class `incoming` may evict, in eviction order. */
export function evictableFor(incoming: PriorityClass): PriorityClass[] {
  return (Object.keys(KEEP_RANK) as PriorityClass[])
    .filter((c) => KEEP_RANK[c] <= KEEP_RANK[incoming])
    .sort((a, b) => KEEP_RANK[a] - KEEP_RANK[b]);
}
