/** Minimal radix-2 complex FFT and FFT convolution for the corpus generator (offline, not the hot path). */

/** In-place iterative radix-2 FFT; re/im length must be a power of two. inverse=true scales by 1/n. */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b] * cr - im[b] * ci;
        const ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
        const nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
  if (inverse) {
    for (let i = 0; i < n; i++) {
      re[i] /= n;
      im[i] /= n;
    }
  }
}

/** Linear convolution of x with h (output length x.length: the tail is cut), by overlap-add FFT. */
export function convolve(x: Float32Array, h: Float32Array): Float32Array {
  let n = 1;
  while (n < 2 * h.length) n <<= 1;
  const block = n - h.length + 1;
  const hr = new Float64Array(n);
  const hi = new Float64Array(n);
  hr.set(h);
  fft(hr, hi);
  const out = new Float32Array(x.length);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let start = 0; start < x.length; start += block) {
    re.fill(0);
    im.fill(0);
    const end = Math.min(start + block, x.length);
    for (let i = start; i < end; i++) re[i - start] = x[i];
    fft(re, im);
    for (let k = 0; k < n; k++) {
      const r = re[k] * hr[k] - im[k] * hi[k];
      im[k] = re[k] * hi[k] + im[k] * hr[k];
      re[k] = r;
    }
    fft(re, im, true);
    for (let i = 0; i < n && start + i < x.length; i++) out[start + i] += re[i];
  }
  return out;
}
