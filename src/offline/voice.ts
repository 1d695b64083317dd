/**
 * Local speech output: a recorded prompt (WAV) where the flow names one, else espeak-ng. Clips are
 * made once, at the device rate, and cached: the offline prompt must start within milliseconds of
 * the link being declared dead, not after a synthesiser process starts.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { decodeWav } from '../audio/pcm.js';
import { resampleSignal } from '../audio/resample/polyphase.js';

export interface VoiceOptions {
  voice: string;
  wpm: number;
  promptsDir: string;
  gain: number;
  /** Output rate (the audio device's). */
  rate: number;
  /** espeak-ng binary. */
  espeak?: string;
}

/** Run espeak-ng and return its WAV (22.05 kHz PCM16). */
export function espeakWav(text: string, voice: string, wpm: number, bin = 'espeak-ng'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      ['-v', voice, '-s', String(wpm), '--stdout', text],
      { encoding: 'buffer', maxBuffer: 64 << 20, timeout: 15_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`espeak-ng failed: ${err.message} ${stderr.toString().trim()}`));
        else resolve(stdout);
      },
    );
  });
}

export class LocalVoice {
  private readonly cache = new Map<string, Float32Array>();

  constructor(private readonly o: VoiceOptions) {}

  /** The clip for a prompt: the recording when given (falls back to synthesis if it cannot load). */
  async clip(
    text: string,
    prompt?: string,
  ): Promise<{ samples: Float32Array; source: 'recording' | 'espeak-ng'; error?: string }> {
    let error: string | undefined;
    if (prompt) {
      const key = `wav:${prompt}`;
      const hit = this.cache.get(key);
      if (hit) return { samples: hit, source: 'recording' };
      try {
        const path = isAbsolute(prompt) || !this.o.promptsDir ? prompt : join(this.o.promptsDir, prompt);
        const samples = this.scale(this.toDeviceRate(decodeWav(await readFile(path), path)));
        this.cache.set(key, samples);
        return { samples, source: 'recording' };
      } catch (e) {
        error = (e as Error).message; // say it with the synthesiser rather than say nothing
      }
    }
    const key = `tts:${text}`;
    let samples = this.cache.get(key);
    if (!samples) {
      const wav = await espeakWav(text, this.o.voice, this.o.wpm, this.o.espeak);
      samples = this.scale(this.toDeviceRate(decodeWav(wav, 'espeak-ng output')));
      this.cache.set(key, samples);
    }
    return { samples, source: 'espeak-ng', error };
  }

  /** First channel, at the device rate. */
  private toDeviceRate(w: { sampleRate: number; channels: Float32Array[] }): Float32Array {
    return resampleSignal(w.channels[0], w.sampleRate, this.o.rate);
  }

  private scale(x: Float32Array): Float32Array {
    let peak = 0;
    for (let i = 0; i < x.length; i++) peak = Math.max(peak, Math.abs(x[i]));
    const g = peak > 0 ? this.o.gain / peak : 1;
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i] * g;
    return out;
  }
}
