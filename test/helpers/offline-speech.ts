/**
 * Customer lines for offline tests: espeak-ng speech at 16 kHz with a little noise around it
 * (pocketsphinx's noise estimate misbehaves on digital silence; a room is never silent).
 */
import { decodeWav } from '../../src/audio/pcm.js';
import { resampleSignal } from '../../src/audio/resample/polyphase.js';
import { espeakWav } from '../../src/offline/voice.js';

export async function spoken(text: string, rate = 16000, voice = 'en-us', wpm = 160): Promise<Float32Array> {
  const w = decodeWav(await espeakWav(text, voice, wpm), 'espeak-ng');
  return resampleSignal(w.channels[0], w.sampleRate, rate);
}

/** Deterministic low noise (≈ −60 dBFS) so tests do not depend on Math.random. */
export function quiet(samples: number, seed = 1): Float32Array {
  const out = new Float32Array(samples);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < samples; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296 - 0.5) * 0.002;
  }
  return out;
}

/** Noise, the line, noise: one utterance as a recogniser would hear it. */
export async function utterance(text: string, rate = 16000): Promise<Float32Array> {
  const speech = await spoken(text, rate);
  const pad = quiet(rate);
  const out = new Float32Array(pad.length * 2 + speech.length);
  out.set(pad, 0);
  out.set(speech, pad.length);
  out.set(quiet(rate, 7), pad.length + speech.length);
  for (let i = pad.length; i < pad.length + speech.length; i++) out[i] += pad[i - pad.length];
  return out;
}
