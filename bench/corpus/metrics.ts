/** Metrics of the frontend bench (plain functions over arrays; definitions in src/frontend/README.md). */
import type { CorpusCase, Interval } from './cases.js';

const RATE = 16000;
const ms = (x: number) => Math.round((x * RATE) / 1000);

/** Agent-only samples: agent utterance + 300 ms echo tail, minus anything within 300 ms of the customer, after 2 s. */
export function agentOnlyMask(c: CorpusCase): Uint8Array {
  const n = c.ref.length;
  const m = new Uint8Array(n);
  for (const [a, b] of c.agent) m.fill(1, Math.max(a, 2 * RATE), Math.min(n, b + ms(300)));
  for (const cu of c.customer)
    m.fill(0, Math.max(0, cu.span[0] - ms(300)), Math.min(n, cu.span[1] + ms(300)));
  return m;
}

/** ERLE (dB) over agent-only audio: input power / output power. */
export function erleDb(mic: Float32Array, out: Float32Array, mask: Uint8Array): number {
  let pm = 0;
  let po = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    pm += mic[i] * mic[i];
    po += out[i] * out[i];
  }
  return 10 * Math.log10((pm + 1e-12) / (po + 1e-12));
}

/** Seconds from the first agent sound until the 0.5 s ERLE first reaches 20 dB (agent-only audio only). */
export function convergenceS(c: CorpusCase, mic: Float32Array, out: Float32Array): number | null {
  const n = c.ref.length;
  const m = new Uint8Array(n);
  for (const [a, b] of c.agent) m.fill(1, a, Math.min(n, b));
  for (const cu of c.customer)
    m.fill(0, Math.max(0, cu.span[0] - ms(300)), Math.min(n, cu.span[1] + ms(300)));
  const w = ms(500);
  const start = c.agent[0][0];
  for (let i = start; i + w <= n; i += ms(100)) {
    let pm = 0;
    let po = 0;
    let k = 0;
    for (let j = i; j < i + w; j++) {
      if (!m[j]) continue;
      pm += mic[j] * mic[j];
      po += out[j] * out[j];
      k++;
    }
    if (k > w / 2 && 10 * Math.log10((pm + 1e-12) / (po + 1e-12)) >= 20) return (i + w - start) / RATE;
  }
  return null;
}

/**
 * Customer preservation in double talk: SDR (dB) of the output against the customer's signal at the
 * mic, after the best short FIR (16 taps, at the best lag up to 40 ms) maps one onto the other — a
 * system may delay or slightly colour the customer, not remove or distort them, nor leave echo.
 */
export function sdrDoubleTalkDb(c: CorpusCase, out: Float32Array): number {
  const spans: Interval[] = [];
  for (const cu of c.customer) {
    if (!cu.bargeIn) continue;
    for (const [a, b] of c.agent) {
      const s = Math.max(a, cu.span[0]);
      const e = Math.min(b, cu.span[1]);
      if (e - s > ms(100)) spans.push([s, e]);
    }
  }
  const s = c.near;
  // best lag by cross-correlation over the double-talk spans
  let bestLag = 0;
  let best = Number.NEGATIVE_INFINITY;
  for (let lag = 0; lag <= ms(40); lag++) {
    let xc = 0;
    for (const [a, b] of spans) for (let i = a; i < b - lag; i++) xc += out[i + lag] * s[i];
    if (xc > best) {
      best = xc;
      bestLag = lag;
    }
  }
  const T = 16;
  const off = Math.max(0, bestLag - 4);
  // least squares: out[i + off] ≈ Σ_k h[k] s[i - k + (bestLag - off)]... simply regress on s[i + off - k], k=0..T-1
  const A = Array.from({ length: T }, () => new Float64Array(T));
  const bv = new Float64Array(T);
  const sx = (i: number, k: number) => (i - k >= 0 ? s[i - k] : 0);
  for (const [a, b] of spans) {
    for (let i = a; i < b; i++) {
      const y = out[i + off + T / 2] ?? 0;
      for (let k = 0; k < T; k++) {
        const xk = sx(i + T / 2, k);
        bv[k] += xk * y;
        for (let l = 0; l < T; l++) A[k][l] += xk * sx(i + T / 2, l);
      }
    }
  }
  for (let k = 0; k < T; k++) A[k][k] += 1e-9;
  const h = solve(A, bv);
  let ps = 0;
  let pd = 0;
  for (const [a, b] of spans) {
    for (let i = a; i < b; i++) {
      let est = 0;
      for (let k = 0; k < T; k++) est += h[k] * sx(i + T / 2, k);
      const y = out[i + off + T / 2] ?? 0;
      ps += est * est;
      pd += (y - est) * (y - est);
    }
  }
  return 10 * Math.log10((ps + 1e-12) / (pd + 1e-12));
}

function solve(A: Float64Array[], b: Float64Array): Float64Array {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return Float64Array.from(M.map((r, i) => r[n] / r[i]));
}

export interface BargeInScore {
  falseStarts: number;
  agentUtterances: number;
  missed: number;
  bargeIns: number;
  latenciesMs: number[];
}

/** The agent utterances no customer overlaps, each with its 300 ms echo tail: where any
 * speech_start is a false one (the false barge-in rate's denominator). */
export function agentOnlyUtterances(c: CorpusCase): Interval[] {
  return c.agent
    .map(([a, b]): Interval => [a, b + ms(300)])
    .filter(([a, end]) => !c.customer.some((cu) => cu.span[0] < end && cu.span[1] > a));
}

/** Scores speech_start sample indices against the labels (see README for the rules). */
export function scoreBargeIns(c: CorpusCase, starts: number[]): BargeInScore {
  let falseStarts = 0;
  let agentUtterances = 0;
  for (const [a, end] of agentOnlyUtterances(c)) {
    agentUtterances++;
    if (starts.some((t) => t >= a && t < end)) falseStarts++;
  }
  let missed = 0;
  let bargeIns = 0;
  const latenciesMs: number[] = [];
  for (const cu of c.customer) {
    if (!cu.bargeIn) continue;
    bargeIns++;
    const onset = cu.span[0];
    const hit = starts.find((t) => t >= onset - ms(50) && t <= onset + ms(300));
    if (hit === undefined) missed++;
    else latenciesMs.push(((hit - onset) * 1000) / RATE);
  }
  return { falseStarts, agentUtterances, missed, bargeIns, latenciesMs };
}

export function median(xs: number[]): number {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function quantile(xs: number[], q: number): number {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
