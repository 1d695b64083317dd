/**
 * The agent's playback queue with positions. Agent audio (already at the device rate) waits here
 * and is fed to the AudioDevice a few periods ahead, so that pause/duck/flush act on very little
 * device-side audio. Every response keeps where its first sample sits in the device's play
 * coordinate, so `device.playedSamples` (samples that actually left through the DAC) tells exactly
 * how much of that response the customer heard — never a wall-clock estimate.
 */

export interface ResponsePlayback {
  id: string;
  /** Play coordinate (device samples, net of flushes) of this response's first written sample. */
  start: number;
  /** Samples of this response written to the device (net of what a flush dropped). */
  written: number;
  /** Samples of this response received (queued here or written). */
  received: number;
  /** The provider said the response is complete. */
  done: boolean;
}

interface Segment {
  r: ResponsePlayback;
  samples: Float32Array;
  offset: number;
}

export class AgentQueue {
  private readonly segments: Segment[] = [];
  private readonly responses: ResponsePlayback[] = [];
  /** Samples written to the device minus those a flush dropped: the play coordinate's end. */
  private devicePos = 0;

  /** Samples waiting here (not yet written to the device). */
  pending = 0;
  /** The response the last written samples belong to. */
  lastWritten?: string;

  response(id: string): ResponsePlayback | undefined {
    for (let i = this.responses.length - 1; i >= 0; i--)
      if (this.responses[i].id === id) return this.responses[i];
    return undefined;
  }

  private ensure(id: string): ResponsePlayback {
    let r = this.response(id);
    if (!r) {
      r = { id, start: -1, written: 0, received: 0, done: false };
      this.responses.push(r);
      if (this.responses.length > 16) this.responses.shift();
    }
    return r;
  }

  push(id: string, samples: Float32Array): void {
    const r = this.ensure(id);
    r.received += samples.length;
    this.segments.push({ r, samples, offset: 0 });
    this.pending += samples.length;
  }

  markDone(id: string): void {
    this.ensure(id).done = true;
  }

  /** Samples written to the device and not yet played. */
  deviceQueued(played: number): number {
    return Math.max(0, this.devicePos - played);
  }

  /**
   * Copy up to dst.length pending samples into dst (scaled by gain) and account them as written;
   * returns the count and the response they belong to (one response per call).
   */
  take(dst: Float32Array, gain: number): number {
    const seg = this.segments[0];
    if (!seg) return 0;
    const n = Math.min(dst.length, seg.samples.length - seg.offset);
    for (let i = 0; i < n; i++) dst[i] = seg.samples[seg.offset + i] * gain;
    return n;
  }

  /** The device accepted `n` of the samples from take(). */
  commit(n: number): void {
    const seg = this.segments[0];
    if (!seg || n <= 0) return;
    if (seg.r.start < 0) seg.r.start = this.devicePos - seg.r.written;
    seg.offset += n;
    seg.r.written += n;
    this.lastWritten = seg.r.id;
    this.devicePos += n;
    this.pending -= n;
    if (seg.offset >= seg.samples.length) this.segments.shift();
  }

  /** Samples of response `id` that reached the DAC. */
  playedOf(id: string, played: number): number {
    const r = this.response(id);
    if (!r || r.start < 0) return 0;
    return Math.min(r.written, Math.max(0, played - r.start));
  }

  /** The response whose audio is at the DAC now (or was written last). */
  atDac(played: number): string | undefined {
    for (const r of this.responses)
      if (r.start >= 0 && played >= r.start && played < r.start + r.written) return r.id;
    return this.lastWritten;
  }

  /** Everything of this queue and the device was played and the provider finished. */
  idle(played: number): boolean {
    return (
      this.pending === 0 &&
      this.deviceQueued(played) === 0 &&
      this.responses.every((r) => r.done || r.received === 0)
    );
  }

  /**
   * The device dropped `dropped` queued samples (flush): forget them and everything pending here.
   * What was played stays accounted.
   */
  flushed(dropped: number, played: number): void {
    this.devicePos -= dropped;
    for (const r of this.responses) {
      if (r.start >= 0) r.written = Math.min(r.written, Math.max(0, played - r.start));
      r.done = true;
    }
    this.segments.length = 0;
    this.pending = 0;
  }
}
