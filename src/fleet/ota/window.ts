/**
 * Maintenance windows: "HH:MM-HH:MM" in the device's local time, possibly wrapping midnight
 * ("22:00-04:00"). Empty means "any time". Pure functions of a Date, so tests pick the clock.
 */

export interface Window {
  startMin: number;
  endMin: number;
}

export function parseWindow(text: string): Window | undefined {
  if (text === '') return undefined;
  const m = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(text);
  if (!m) throw new Error(`maintenance window ${JSON.stringify(text)}: expected "HH:MM-HH:MM"`);
  const [h1, m1, h2, m2] = m.slice(1).map(Number);
  if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59)
    throw new Error(`maintenance window ${JSON.stringify(text)}: not a time of day`);
  return { startMin: h1 * 60 + m1, endMin: h2 * 60 + m2 };
}

function minuteOfDay(d: Date): number {
  return d.getHours() * 60 + d.getMinutes();
}

/** Is `now` inside the window? Start inclusive, end exclusive; equal start and end = all day. */
export function windowOpen(w: Window | undefined, now: Date): boolean {
  if (!w || w.startMin === w.endMin) return true;
  const t = minuteOfDay(now);
  return w.startMin < w.endMin ? t >= w.startMin && t < w.endMin : t >= w.startMin || t < w.endMin;
}

/** The next moment (≥ now) the window opens; `now` itself when it is open. */
export function nextOpening(w: Window | undefined, now: Date): Date {
  if (windowOpen(w, now) || !w) return now;
  const next = new Date(now);
  next.setSeconds(0, 0);
  next.setHours(Math.floor(w.startMin / 60), w.startMin % 60);
  if (next.getTime() <= now.getTime()) next.setDate(next.getDate() + 1);
  return next;
}
