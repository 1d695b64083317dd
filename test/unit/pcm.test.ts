import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeWav,
  encodeWav16,
  floatToInt16,
  int16ToFloat,
  readWavMono,
  toMono,
  WavFormatError,
  writeWav16,
} from '../../src/audio/pcm.js';

const tmp = mkdtempSync(join(tmpdir(), 'pcm-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('int16 <-> float', () => {
  it('round-trips every int16 value exactly', () => {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const back = floatToInt16(int16ToFloat(all));
    expect(back.every((v, i) => v === all[i])).toBe(true);
  });

  it('clips overloads instead of wrapping around, and rounds', () => {
    const out = floatToInt16(Float32Array.from([1.5, 1, -1, -2, 0.5 / 32768 + 1e-7, 0]));
    expect(Array.from(out)).toEqual([32767, 32767, -32768, -32768, 1, 0]);
  });

  it('writes into a caller-owned array (no allocation)', () => {
    const dst = new Float32Array(3);
    expect(int16ToFloat(Int16Array.from([16384, -16384, 0]), dst)).toBe(dst);
    expect(Array.from(dst)).toEqual([0.5, -0.5, 0]);
  });
});

describe('WAV', () => {
  it('encodes and decodes 16-bit mono losslessly (to 16-bit precision)', () => {
    const x = Float32Array.from({ length: 1000 }, (_, i) => Math.round(Math.sin(i / 10) * 20000) / 32768);
    const wav = decodeWav(encodeWav16(x, 24000));
    expect(wav.sampleRate).toBe(24000);
    expect(wav.channels).toHaveLength(1);
    expect(wav.channels[0]).toEqual(x);
  });

  it('reads what sox writes: stereo 24-bit and 32-bit float, averaged to mono', () => {
    const src = join(tmp, 'mono.wav');
    const x = Float32Array.from({ length: 800 }, (_, i) => 0.25 * Math.sin(i / 7));
    writeWav16(src, x, 16000);
    for (const args of [
      ['-b', '24', '-c', '2'],
      ['-e', 'floating-point', '-b', '32', '-c', '2'],
    ]) {
      const out = join(tmp, `converted${args.join('')}.wav`);
      execFileSync('sox', [src, ...args, out]);
      const { sampleRate, samples } = readWavMono(out);
      expect(sampleRate).toBe(16000);
      expect(samples.length).toBe(800);
      for (let i = 0; i < 800; i += 37) expect(samples[i]).toBeCloseTo(x[i], 4);
    }
  });

  it('reads espeak-ng output', () => {
    const out = join(tmp, 'hello.wav');
    execFileSync('espeak-ng', ['-w', out, 'hello']);
    const { sampleRate, samples } = readWavMono(out);
    expect(sampleRate).toBe(22050);
    expect(samples.length).toBeGreaterThan(5000);
    expect(samples.some((v) => Math.abs(v) > 0.05)).toBe(true);
  });

  it('reads a streamed WAV whose data size is unknown (0xFFFFFFFF)', () => {
    const bytes = encodeWav16(Float32Array.from([0.5, -0.5, 0.25]), 8000);
    new DataView(bytes.buffer).setUint32(40, 0xffffffff, true);
    expect(Array.from(decodeWav(bytes).channels[0])).toEqual([0.5, -0.5, 0.25]);
  });

  it('rejects what it cannot read with a clear error', () => {
    expect(() => decodeWav(new TextEncoder().encode('not a wav file at all'), 'x.wav')).toThrow(
      /x\.wav: not a RIFF\/WAVE file/,
    );
    const alaw = encodeWav16(new Float32Array(4), 8000);
    new DataView(alaw.buffer).setUint16(20, 6, true); // format 6 = A-law
    expect(() => decodeWav(alaw, 'phone.wav')).toThrow(/phone\.wav: unsupported encoding \(format 6/);
    expect(() => decodeWav(encodeWav16(new Float32Array(4), 8000).subarray(0, 36))).toThrow(/no data chunk/);
    const bad = join(tmp, 'bad.wav');
    writeFileSync(bad, 'RIFF');
    expect(() => readWavMono(bad)).toThrow(WavFormatError);
    expect(() => readWavMono(join(tmp, 'missing.wav'))).toThrow(/missing\.wav: cannot read \(ENOENT\)/);
  });

  it('writes a file other tools read back (sox agrees on rate and length)', () => {
    const path = join(tmp, 'out.wav');
    writeWav16(path, new Float32Array(4800), 48000);
    const info = execFileSync('soxi', [path]).toString();
    expect(info).toMatch(/Sample Rate\s*: 48000/);
    expect(info).toMatch(/4800 samples/);
    expect(readFileSync(path).length).toBe(44 + 9600);
  });

  it('averages channels to mono', () => {
    expect(Array.from(toMono([Float32Array.from([1, 0]), Float32Array.from([0, 0.5])]))).toEqual([0.5, 0.25]);
  });
});
