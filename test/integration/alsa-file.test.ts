/**
 * The ALSA engine against real alsa-lib `type file` PCMs: capture reads raw frames from an infile,
 * playback writes raw frames to a file, so every byte in and out can be checked exactly.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AlsaDevice, type AlsaDeviceOptions } from '../../src/audio/alsa/alsa-device.js';
import type { PcmFormat } from '../../src/audio/alsa/native.js';
import type { AudioDeviceState } from '../../src/audio/device.js';
import { type AlsaConf, alsaConf } from '../helpers/alsa-conf.js';
import { sleep, until } from '../helpers/alsa-wait.js';

let conf: AlsaConf;
let n = 0;

beforeAll(() => {
  conf = alsaConf();
});
afterAll(() => conf.cleanup());

/** Defines a fresh capture/playback file PCM pair; returns their names and files. */
function pcmPair(input: Buffer) {
  n++;
  const infile = join(conf.dir, `in${n}.raw`);
  const outfile = join(conf.dir, `out${n}.raw`);
  writeFileSync(infile, input);
  const text = `pcm.cap${n} { type file slave.pcm null file "/dev/null" infile "${infile}" format raw }
pcm.pb${n} { type file slave.pcm null file "${outfile}" format raw }
`;
  conf.add(text);
  return { capture: `cap${n}`, playback: `pb${n}`, infile, outfile };
}

function device(
  names: { capture: string; playback: string },
  cap: { format?: PcmFormat; channels?: number; micChannel?: number } = {},
  pb: { format?: PcmFormat; channels?: number } = {},
  extra: Partial<AlsaDeviceOptions> = {},
): AlsaDevice {
  return new AlsaDevice({
    capture: {
      device: names.capture,
      format: cap.format ?? 'S16_LE',
      channels: cap.channels ?? 1,
      micChannel: cap.micChannel ?? 0,
    },
    playback: { device: names.playback, format: pb.format ?? 'S16_LE', channels: pb.channels ?? 1 },
    rate: 16000,
    periodFrames: 160,
    bufferPeriods: 4,
    ...extra,
  });
}

/** Collects the first `count` mic samples delivered, checking that frame indices are contiguous. */
function collectMic(dev: AlsaDevice, count: number) {
  const mic = new Float32Array(count);
  const state = { got: 0, contiguous: true };
  dev.on('frame', (f) => {
    if (f.index !== state.got && state.got < count) state.contiguous = false;
    const k = Math.min(f.mic.length, count - state.got);
    if (k > 0) mic.set(f.mic.subarray(0, k), state.got);
    state.got += f.mic.length;
  });
  return { mic, state };
}

describe('capture through a file PCM', () => {
  test('S16_LE mono: the mic frames are exactly the infile samples, in order', async () => {
    const samples = new Int16Array(4800).map((_, i) => ((i * 37) % 65536) - 32768);
    const names = pcmPair(Buffer.from(samples.buffer));
    const dev = device(names);
    const { mic, state } = collectMic(dev, samples.length);
    await dev.open();
    await until(() => state.got >= samples.length, 'capture');
    await dev.close();
    expect(state.contiguous).toBe(true);
    expect(Array.from(mic)).toEqual(Array.from(samples, (v) => v / 32768));
    expect(dev.stats().framesCaptured).toBeGreaterThanOrEqual(30);
  });

  test('S32_LE, 4 channels: the engine extracts micChannel 2 exactly', async () => {
    const frames = 3200;
    const data = new Int32Array(frames * 4);
    for (let i = 0; i < frames; i++)
      for (let c = 0; c < 4; c++) data[i * 4 + c] = (c === 2 ? i * 65536 : -(c + 1) * 1_000_000) | 0;
    const names = pcmPair(Buffer.from(data.buffer));
    const dev = device(names, { format: 'S32_LE', channels: 4, micChannel: 2 });
    const { mic, state } = collectMic(dev, frames);
    await dev.open();
    await until(() => state.got >= frames, 'capture');
    await dev.close();
    expect(Array.from(mic)).toEqual(Array.from({ length: frames }, (_, i) => (i * 65536) / 2 ** 31));
  });

  test('FLOAT_LE, 2 channels: channel 1 arrives bit-exact', async () => {
    const frames = 1600;
    const data = new Float32Array(frames * 2);
    for (let i = 0; i < frames; i++) {
      data[i * 2] = 0.9;
      data[i * 2 + 1] = Math.sin(i / 7) * 0.5;
    }
    const names = pcmPair(Buffer.from(data.buffer));
    const dev = device(names, { format: 'FLOAT_LE', channels: 2, micChannel: 1 });
    const { mic, state } = collectMic(dev, frames);
    await dev.open();
    await until(() => state.got >= frames, 'capture');
    await dev.close();
    expect(Array.from(mic)).toEqual(Array.from({ length: frames }, (_, i) => data[i * 2 + 1]));
  });
});

/** Reads a playback file and returns channel 0 as numbers in the file's own units. */
function readOut(path: string, format: PcmFormat, channels: number): number[] {
  const buf = readFileSync(path);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const all =
    format === 'S16_LE'
      ? new Int16Array(ab)
      : format === 'S32_LE'
        ? new Int32Array(ab)
        : new Float32Array(ab);
  const out: number[] = [];
  for (let i = 0; i < all.length; i += channels) {
    for (let c = 1; c < channels; c++) expect(all[i + c]).toBe(all[i]); // mono is copied to every channel
    out.push(all[i]);
  }
  return out;
}

describe('playback through a file PCM', () => {
  test.each([
    ['S16_LE', 1, (x: number) => Math.round(x * 32768)],
    ['S32_LE', 2, (x: number) => Math.round(x * 2 ** 31)],
    ['FLOAT_LE', 2, (x: number) => Math.fround(x)],
  ] as const)('%s × %i channels: the file holds exactly what was written', async (format, channels, conv) => {
    const names = pcmPair(Buffer.alloc(64000));
    const dev = device(names, {}, { format, channels });
    const samples = new Float32Array(4000).map((_, i) => (((i * 101) % 2001) - 1000) / 1024);
    await dev.open();
    expect(dev.write(samples)).toBe(samples.length);
    await until(() => dev.playedSamples === samples.length, 'all samples played');
    await dev.close();
    const out = readOut(names.outfile, format, channels);
    const first = out.findIndex((v) => v !== 0);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(out.slice(first, first + samples.length)).toEqual(Array.from(samples, conv));
    expect(out.slice(first + samples.length).every((v) => v === 0)).toBe(true); // padding after: silence
    const s = dev.stats();
    expect(s.writtenSamples).toBe(samples.length);
    expect(s.queuedSamples).toBe(0);
  });

  test('flush drops the queue at once, fades the cut and keeps exact counts', async () => {
    const names = pcmPair(Buffer.alloc(64000));
    const dev = device(names);
    const tone = new Float32Array(32000).fill(0.5);
    await dev.open();
    dev.write(tone);
    await until(() => dev.playedSamples > 3200, 'tone playing');
    const dropped = dev.flush();
    expect(dropped).toBeGreaterThan(16000);
    await sleep(200);
    const played = dev.playedSamples;
    await dev.close();
    const s = dev.stats();
    // Everything written is either played or flushed (the device-buffer part counts as flushed too).
    expect(played + (dev.engineStats()?.flushed ?? 0)).toBeLessThanOrEqual(tone.length);
    expect(s.queuedSamples).toBeLessThanOrEqual(tone.length - played - dropped);
    const out = readOut(names.outfile, 'S16_LE', 1);
    const first = out.indexOf(16384);
    const full = out.slice(first).findIndex((v) => v !== 16384);
    expect(full).toBe(played); // the file holds exactly `played` full-scale tone samples…
    const tail = out.slice(first + full);
    const fadeEnd = tail.indexOf(0);
    expect(fadeEnd).toBeGreaterThan(0); // …then a short falling fade, not a step…
    expect(fadeEnd).toBeLessThanOrEqual(40);
    for (let i = 1; i < fadeEnd; i++) expect(tail[i]).toBeLessThan(tail[i - 1]);
    expect(tail.slice(fadeEnd).every((v) => v === 0)).toBe(true); // …then silence.
  });

  test('pause holds the position and loses nothing; resume plays the rest', async () => {
    const names = pcmPair(Buffer.alloc(64000));
    const dev = device(names);
    const ramp = new Float32Array(16000).map((_, i) => (i + 1) / 32768);
    await dev.open();
    dev.write(ramp);
    await until(() => dev.playedSamples > 1600, 'ramp playing');
    dev.pause();
    await sleep(100);
    const held = dev.playedSamples;
    await sleep(200);
    expect(dev.playedSamples).toBe(held);
    expect(dev.stats().paused).toBe(true);
    dev.resume();
    await until(() => dev.playedSamples === ramp.length, 'everything played after resume');
    await dev.close();
    const out = readOut(names.outfile, 'S16_LE', 1).filter((v) => v !== 0);
    // Up to the pause point the ramp is exact; after the resume fade-in it is exact to the end.
    expect(out.slice(0, held)).toEqual(Array.from({ length: held }, (_, i) => i + 1));
    expect(out.slice(-(ramp.length - held - 40))).toEqual(
      Array.from({ length: ramp.length - held - 40 }, (_, i) => held + 41 + i),
    );
  });
});

describe('in a worker thread', () => {
  // A frame path off the main thread (so the main thread's GC pauses cannot delay it) runs the
  // device inside a worker: the addon is context-aware and wakes the worker's own event loop.
  test('frames arrive exactly in the worker, and terminating it with the device open stops the engine', async () => {
    const samples = new Int16Array(32000).map((_, i) => ((i * 37) % 65536) - 32768);
    const names = pcmPair(Buffer.from(samples.buffer));
    const module = pathToFileURL(join(import.meta.dirname, '../../dist/src/audio/alsa/alsa-device.js')).href;
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.module).then(async ({ AlsaDevice }) => {
        const dev = new AlsaDevice(workerData.options);
        const mic = new Float32Array(1600);
        let got = 0;
        dev.on('frame', (f) => {
          if (got < mic.length && f.index === got) mic.set(f.mic.subarray(0, mic.length - got), got);
          got += f.mic.length;
          if (got === mic.length) parentPort.postMessage(mic);
        });
        await dev.open();
        dev.write(new Float32Array(32000).fill(0.25));
      });`,
      {
        eval: true,
        workerData: {
          module,
          options: {
            capture: { device: names.capture, format: 'S16_LE', channels: 1, micChannel: 0 },
            playback: { device: names.playback, format: 'S16_LE', channels: 1 },
            rate: 16000,
            periodFrames: 160,
            bufferPeriods: 4,
          },
        },
      },
    );
    const mic = await new Promise<Float32Array>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(Array.from(mic)).toEqual(Array.from(samples.subarray(0, 1600), (v) => v / 32768));
    expect(await worker.terminate()).toBe(1);
    // The worker's cleanup joined the I/O thread: the playback file stops growing.
    const size = statSync(names.outfile).size;
    await sleep(200);
    expect(statSync(names.outfile).size).toBe(size);
  });
});

describe('errors and lost devices', () => {
  test('an unknown PCM is a clear error naming it, and nothing is left open', async () => {
    const dev = device({ capture: 'no_such_pcm', playback: 'no_such_pcm' });
    const states: AudioDeviceState[] = [];
    dev.on('state', (s) => states.push(s));
    await expect(dev.open()).rejects.toThrow(/capture no_such_pcm: open: No such file or directory/);
    expect(dev.stats().state).toBe('closed');
    expect(states).toEqual(['opening', 'closed']);
  });

  test('options the device cannot honour are refused before anything opens', async () => {
    const names = pcmPair(Buffer.alloc(3200));
    const dev = device(names, { channels: 2, micChannel: 2 });
    await expect(dev.open()).rejects.toThrow(/micChannel must be < captureChannels/);
    expect(existsSync(names.outfile)).toBe(false);
  });
});
