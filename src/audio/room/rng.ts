/**
 * A seeded pseudo-random generator (mulberry32) so every scenario is reproducible bit for bit:
 * the same seed gives the same room, the same noise and therefore the same benchmark corpus.
 * Math.random() is never used in the simulator.
 */
export class Rng {
  // State lives in typed arrays, not number fields: a uint32 above 2^30 or a double stored in a
  // field is boxed by V8 on every write — garbage per sample on the audio path.
  private readonly state = new Uint32Array(1);
  private readonly spareBox = new Float64Array(1);
  private hasSpare = false;

  constructor(seed: number) {
    this.state[0] = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state[0] = this.state[0] + 0x6d2b79f5;
    let t = this.state[0];
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  gaussian(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spareBox[0];
    }
    let u = this.next();
    while (u <= Number.MIN_VALUE) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareBox[0] = r * Math.sin(2 * Math.PI * v);
    this.hasSpare = true;
    return r * Math.cos(2 * Math.PI * v);
  }
}
