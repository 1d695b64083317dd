/**
 * Where local prompts are played. The offline flow only needs "play this clip, tell me when it
 * finished or was stopped" and "stop now". DeviceSpeechOut does that straight on the AudioDevice
 * (queue, watch playedSamples, flush on stop); once the duplex engine's playback queue exists the
 * same interface can sit on it so cloud and local speech share one queue.
 */
import type { AudioDevice } from '../audio/device.js';

export type PlayEnd = 'finished' | 'stopped';

export interface SpeechOut {
  play(samples: Float32Array): Promise<PlayEnd>;
  stop(): void;
  readonly speaking: boolean;
}

const POLL_MS = 10;

export class DeviceSpeechOut implements SpeechOut {
  private current: { resolve: (e: PlayEnd) => void; timer: NodeJS.Timeout } | undefined;

  constructor(private readonly device: AudioDevice) {}

  get speaking(): boolean {
    return this.current !== undefined;
  }

  play(samples: Float32Array): Promise<PlayEnd> {
    this.stop();
    return new Promise<PlayEnd>((resolve) => {
      const startPlayed = this.device.playedSamples;
      let offset = 0;
      const pump = () => {
        // write() may take less than offered (a bounded queue): keep offering the rest.
        if (offset < samples.length)
          offset += this.device.write(offset === 0 ? samples : samples.subarray(offset));
        if (offset < samples.length) return;
        // Played out — or the device queue emptied without it (someone else flushed the device):
        // either way our prompt is over, and a flow waiting for it must not hang.
        if (
          this.device.playedSamples - startPlayed >= samples.length ||
          this.device.stats().queuedSamples === 0
        ) {
          this.finish('finished');
        }
      };
      const timer = setInterval(pump, POLL_MS);
      this.current = { resolve, timer };
      pump();
    });
  }

  stop(): void {
    if (!this.current) return;
    this.device.flush();
    this.finish('stopped');
  }

  private finish(end: PlayEnd): void {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    clearInterval(c.timer);
    c.resolve(end);
  }
}
