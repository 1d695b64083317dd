/**
 * The simulated DAC's playback queue: a fixed ring of float samples (allocated once), with the
 * semantics the AudioDevice contract asks for — pause holds the position (with a short fade so the
 * loudspeaker doesn't click, the faded samples are played again on resume), flush drops everything.
 */

/** Fade length for pause/resume, samples (2 ms at 16 kHz). */
const FADE = 32;

export class PlaybackQueue {
  private readonly ring: Float32Array;
  private read = 0;
  private size = 0;
  paused = false;
  /** Samples of fade-out left to play after pause() (not consumed from the queue). */
  private fadeOut = 0;
  /** Samples of fade-in left after resume(). */
  private fadeIn = 0;
  /** Queued samples that left through the DAC. */
  played = 0;
  written = 0;

  constructor(capacity: number) {
    this.ring = new Float32Array(capacity);
  }

  get queued(): number {
    return this.size;
  }

  write(samples: Float32Array): number {
    const cap = this.ring.length;
    const n = Math.min(samples.length, cap - this.size);
    let w = (this.read + this.size) % cap;
    for (let i = 0; i < n; i++) {
      this.ring[w] = samples[i];
      w = w + 1 === cap ? 0 : w + 1;
    }
    this.size += n;
    this.written += n;
    return n;
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.fadeOut = FADE;
    this.fadeIn = 0;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.fadeIn = this.fadeOut === FADE ? 0 : FADE; // resumed before the fade began: nothing to ramp
    this.fadeOut = 0;
  }

  flush(): number {
    const dropped = this.size;
    this.read = (this.read + this.size) % this.ring.length;
    this.size = 0;
    this.fadeOut = 0;
    return dropped;
  }

  /** Fill one DAC period into dst: queued audio (consumed, counted as played) or silence. */
  pull(dst: Float32Array): void {
    const cap = this.ring.length;
    const F = dst.length;
    if (this.paused) {
      // Ramp the next queued samples down without consuming them; then silence.
      let r = this.read;
      for (let i = 0; i < F; i++) {
        if (this.fadeOut > 0 && i < this.size) {
          dst[i] = this.ring[r] * (this.fadeOut / (FADE + 1));
          this.fadeOut--;
          r = r + 1 === cap ? 0 : r + 1;
        } else dst[i] = 0;
      }
      this.fadeOut = 0;
      return;
    }
    const n = Math.min(F, this.size);
    for (let i = 0; i < n; i++) {
      let v = this.ring[this.read];
      if (this.fadeIn > 0) {
        v *= 1 - this.fadeIn / (FADE + 1);
        this.fadeIn--;
      }
      dst[i] = v;
      this.read = this.read + 1 === cap ? 0 : this.read + 1;
    }
    for (let i = n; i < F; i++) dst[i] = 0;
    this.size -= n;
    this.played += n;
  }
}
