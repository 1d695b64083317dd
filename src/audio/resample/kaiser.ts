/**
 * Kaiser-windowed sinc low-pass design (Kaiser & Schafer's formulas): the window's β and the
 * filter length follow from the wanted stopband attenuation and transition width, so the
 * resampler's quality is a number you choose, not an accident of the tap count.
 */

/** Zeroth-order modified Bessel function of the first kind (series; converges fast for x < 50). */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser β for a stopband attenuation of `db` dB. */
export function kaiserBeta(db: number): number {
  if (db > 50) return 0.1102 * (db - 8.7);
  if (db >= 21) return 0.5842 * (db - 21) ** 0.4 + 0.07886 * (db - 21);
  return 0;
}

/** Taps needed for `db` dB with a transition width of `width` (fraction of the sample rate). */
export function kaiserLength(db: number, width: number): number {
  return Math.ceil((db - 7.95) / (2.285 * 2 * Math.PI * width)) + 1;
}

/**
 * Low-pass prototype of `length` taps, cutoff `cutoff` (fraction of its sample rate, < 0.5),
 * DC gain `gain`, centred at (length-1)/2.
 */
export function kaiserSinc(length: number, cutoff: number, beta: number, gain: number): Float64Array {
  const h = new Float64Array(length);
  const mid = (length - 1) / 2;
  const i0b = besselI0(beta);
  for (let n = 0; n < length; n++) {
    const t = n - mid;
    const x = 2 * cutoff * t;
    const sinc = t === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const r = mid === 0 ? 0 : t / mid;
    const w = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0b;
    h[n] = gain * 2 * cutoff * sinc * w;
  }
  return h;
}
