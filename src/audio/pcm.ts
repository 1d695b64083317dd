/**
 * PCM and WAV helpers: 16-bit integer <-> float conversion (the cloud speaks PCM16, the engine
 * floats) and a small RIFF/WAVE reader/writer for test talkers, the demo conversation and corpora.
 *
 * The reader accepts what espeak-ng, sox and Python write: PCM 8/16/24/32-bit integer and 32-bit
 * float, plain or WAVE_FORMAT_EXTENSIBLE; anything else is a clear error, never garbage samples.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** Int16 -> float in [-1, 1). Writes into dst (allocated when absent); returns dst. */
export function int16ToFloat(
  src: Int16Array,
  dst: Float32Array = new Float32Array(src.length),
): Float32Array {
  const n = Math.min(src.length, dst.length);
  for (let i = 0; i < n; i++) dst[i] = src[i] / 32768;
  return dst;
}

/** Float -> int16 with rounding and clipping (no wrap-around on overload). Returns dst. */
export function floatToInt16(src: Float32Array, dst: Int16Array = new Int16Array(src.length)): Int16Array {
  const n = Math.min(src.length, dst.length);
  for (let i = 0; i < n; i++) {
    const v = Math.round(src[i] * 32768);
    dst[i] = Math.min(32767, Math.max(-32768, v));
  }
  return dst;
}

export interface WavAudio {
  sampleRate: number;
  /** One Float32Array per channel, samples in [-1, 1). */
  channels: Float32Array[];
}

export class WavFormatError extends Error {
  override name = 'WavFormatError';
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Decode a RIFF/WAVE file. Throws WavFormatError with the reason for anything it cannot read. */
export function decodeWav(bytes: Uint8Array, what = 'WAV data'): WavAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    throw new WavFormatError(`${what}: not a RIFF/WAVE file`);
  }
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  let off = 12;
  while (off + 8 <= bytes.length) {
    const id = tag(off);
    let size = view.getUint32(off + 4, true);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16) throw new WavFormatError(`${what}: fmt chunk too short`);
      let format = view.getUint16(body, true);
      if (format === FORMAT_EXTENSIBLE && size >= 26) format = view.getUint16(body + 24, true);
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError(`${what}: data chunk before fmt chunk`);
      // Streaming writers (espeak-ng to stdout) leave the size as 0 or 0xFFFFFFFF: read to the end.
      if (size === 0 || body + size > bytes.length) size = bytes.length - body;
      return { sampleRate: fmt.rate, channels: decodeSamples(view, body, size, fmt, what) };
    }
    off = body + size + (size & 1);
  }
  throw new WavFormatError(`${what}: no data chunk`);
}

function decodeSamples(
  view: DataView,
  at: number,
  size: number,
  fmt: { format: number; channels: number; rate: number; bits: number },
  what: string,
): Float32Array[] {
  const { format, channels, bits } = fmt;
  if (channels < 1) throw new WavFormatError(`${what}: ${channels} channels`);
  if (fmt.rate < 1) throw new WavFormatError(`${what}: sample rate ${fmt.rate}`);
  const okInt = format === FORMAT_PCM && (bits === 8 || bits === 16 || bits === 24 || bits === 32);
  const okFloat = format === FORMAT_FLOAT && bits === 32;
  if (!okInt && !okFloat) {
    throw new WavFormatError(
      `${what}: unsupported encoding (format ${format}, ${bits} bits); use PCM 16-bit or float`,
    );
  }
  const bytesPer = bits / 8;
  const frames = Math.floor(size / (bytesPer * channels));
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  let p = at;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++, p += bytesPer) {
      let v: number;
      if (okFloat) v = view.getFloat32(p, true);
      else if (bits === 16) v = view.getInt16(p, true) / 32768;
      else if (bits === 8) v = (view.getUint8(p) - 128) / 128;
      else if (bits === 24)
        v = (view.getUint8(p) | (view.getUint8(p + 1) << 8) | (view.getInt8(p + 2) << 16)) / 8388608;
      else v = view.getInt32(p, true) / 2147483648;
      out[c][i] = v;
    }
  }
  return out;
}

/** Encode mono float samples as a 16-bit PCM WAV file. */
export function encodeWav16(samples: Float32Array, sampleRate: number): Uint8Array {
  const pcm = floatToInt16(samples);
  const bytes = new Uint8Array(44 + pcm.length * 2);
  const view = new DataView(bytes.buffer);
  const put = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) bytes[at + i] = s.charCodeAt(i);
  };
  put(0, 'RIFF');
  view.setUint32(4, 36 + pcm.length * 2, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, FORMAT_PCM, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  put(36, 'data');
  view.setUint32(40, pcm.length * 2, true);
  for (let i = 0; i < pcm.length; i++) view.setInt16(44 + i * 2, pcm[i], true);
  return bytes;
}

/** Read a WAV file; channels are averaged to mono. */
export function readWavMono(path: string): { sampleRate: number; samples: Float32Array } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new WavFormatError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const wav = decodeWav(bytes, path);
  return { sampleRate: wav.sampleRate, samples: toMono(wav.channels) };
}

export function writeWav16(path: string, samples: Float32Array, sampleRate: number): void {
  writeFileSync(path, encodeWav16(samples, sampleRate));
}

export function toMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const n = channels[0].length;
  const out = new Float32Array(n);
  for (const ch of channels) for (let i = 0; i < n; i++) out[i] += ch[i] / channels.length;
  return out;
}
