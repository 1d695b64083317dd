import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AudioDeviceState, FramePair } from '../../src/audio/device.js';
import { writeWav16 } from '../../src/audio/pcm.js';
import { recordRoom } from '../../src/audio/room/record.js';
import { Rng } from '../../src/audio/room/rng.js';
import { RoomDevice } from '../../src/audio/room/room-device.js';
import type { RoomScenario } from '../../src/audio/room/scenario.js';

const RATE = 16000;
const F = 160;

function tone(seconds: number, hz: number, amp = 0.5): Float32Array {
  return Float32Array.from(
    { length: Math.round(seconds * RATE) },
    (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / RATE),
  );
}
function rms(a: ArrayLike<number>, from = 0, to = a.length): number {
  let e = 0;
  for (let i = from; i < to; i++) e += a[i] * a[i];
  return Math.sqrt(e / (to - from));
}
const db = (x: number) => 20 * Math.log10(x);

const tmp = mkdtempSync(join(tmpdir(), 'room-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('RoomDevice: the AudioDevice contract', () => {
  it('delivers contiguous frame pairs whose ref is exactly what was written, and counts played samples', async () => {
    const dev = new RoomDevice({ seed: 2, echoPath: { rt60: 0.2, delayMs: 10 } });
    await dev.open();
    expect(dev.config).toEqual({ rate: RATE, frameSamples: F });
    const played = Float32Array.from({ length: 1000 }, (_, i) => ((i % 200) - 100) / 256);
    expect(dev.write(played)).toBe(1000);
    const refs: number[] = [];
    const indices: number[] = [];
    dev.on('frame', (f: FramePair) => {
      refs.push(...f.ref);
      indices.push(f.index);
    });
    expect(dev.runFor(100)).toBe(10);
    expect(indices).toEqual(Array.from({ length: 10 }, (_, i) => i * F));
    expect(refs.slice(0, 1000)).toEqual(Array.from(played));
    expect(refs.slice(1000).every((v) => v === 0)).toBe(true); // padding silence after the queue
    expect(dev.playedSamples).toBe(1000);
    const s = dev.stats();
    expect(s).toMatchObject({
      state: 'running',
      framesCaptured: 10,
      playedSamples: 1000,
      writtenSamples: 1000,
      queuedSamples: 0,
    });
    await dev.close();
    expect(dev.stats().state).toBe('closed');
  });

  it('pause() holds the position (nothing lost) and resume() continues exactly there', async () => {
    const dev = new RoomDevice({});
    await dev.open();
    const played = Float32Array.from({ length: 1000 }, (_, i) => (i + 1) / 1024);
    dev.write(played);
    dev.runFor(20); // 320 samples out
    expect(dev.playedSamples).toBe(320);
    dev.pause();
    const fading = dev.step() as FramePair;
    // A short fade of the next queued samples (not consumed), then silence.
    expect(fading.ref[0]).toBeGreaterThan(0);
    expect(fading.ref[0]).toBeLessThan(played[320]);
    expect(Array.from(fading.ref.subarray(32)).every((v) => v === 0)).toBe(true);
    dev.runFor(50);
    expect(dev.playedSamples).toBe(320);
    expect(dev.stats()).toMatchObject({ paused: true, queuedSamples: 680 });
    dev.resume();
    const resumed = dev.step() as FramePair;
    // After a 32-sample fade-in, the samples are exactly the ones that were next when paused.
    expect(Array.from(resumed.ref.subarray(32))).toEqual(Array.from(played.subarray(352, 480)));
    expect(resumed.ref[0]).toBeLessThan(played[320]);
    dev.runFor(100);
    expect(dev.playedSamples).toBe(1000);
    await dev.close();
  });

  it('flush() drops the queue and the very next period is silent', async () => {
    const dev = new RoomDevice({});
    await dev.open();
    dev.write(tone(2, 300));
    dev.step();
    expect(dev.flush()).toBe(2 * RATE - F);
    const next = dev.step() as FramePair;
    expect(next.ref.every((v) => v === 0)).toBe(true);
    expect(dev.playedSamples).toBe(F);
    expect(dev.stats().queuedSamples).toBe(0);
    await dev.close();
  });

  it('accepts only what fits in the queue', async () => {
    const dev = new RoomDevice({}, { queueSeconds: 0.1 });
    await dev.open();
    expect(dev.write(new Float32Array(3000))).toBe(1600);
    expect(dev.write(new Float32Array(10))).toBe(0);
    await dev.close();
  });

  it('loses and regains the device with state events, and delivers nothing while lost', async () => {
    const dev = new RoomDevice({});
    const states: Array<[AudioDeviceState, string | undefined]> = [];
    dev.on('state', (s, r) => states.push([s, r]));
    await dev.open();
    dev.runFor(30);
    dev.loseDevice('USB unplugged');
    expect(dev.step()).toBeNull();
    expect(dev.stats().state).toBe('lost');
    dev.restoreDevice();
    const f = dev.step() as FramePair;
    expect(f.index).toBe(3 * F);
    expect(states.map((s) => s[0])).toEqual(['opening', 'running', 'lost', 'reopening', 'running']);
    expect(states[2][1]).toBe('USB unplugged');
    expect(dev.stats().reopens).toBe(1);
    await dev.close();
  });
});

describe('RoomDevice: the simulated world', () => {
  const scenario = (seed: number): RoomScenario => ({
    seed,
    echoPath: { rt60: 0.3, delayMs: 20, nonlinearity: { type: 'softclip', level: 0.4 } },
    talkers: [{ samples: tone(0.5, 220), atMs: 300, gainDb: -6 }],
    noise: { type: 'babble', snrDb: 15 },
  });

  it('is deterministic: the same seed gives the same samples, another seed other samples', async () => {
    const play = tone(0.5, 440);
    const a = await recordRoom(scenario(7), { durationMs: 1000, playback: play });
    const b = await recordRoom(scenario(7), { durationMs: 1000, playback: play });
    const c = await recordRoom(scenario(8), { durationMs: 1000, playback: play });
    expect(a.mic).toEqual(b.mic);
    expect(a.mic).not.toEqual(c.mic);
  });

  it('the ground truth adds up to the mic signal', async () => {
    const r = await recordRoom(scenario(3), { durationMs: 1000, playback: tone(0.5, 440), playAtMs: 100 });
    let worst = 0;
    for (let i = 0; i < r.mic.length; i++)
      worst = Math.max(worst, Math.abs(r.mic[i] - r.echo[i] - r.near[i] - r.noise[i]));
    expect(worst).toBeLessThan(1e-6);
    // Playback queued at 100 ms: silent reference before, the tone after.
    expect(rms(r.ref, 0, 1600)).toBe(0);
    expect(rms(r.ref, 1600, 3200)).toBeGreaterThan(0.3);
  });

  it('places talkers at atMs with their gain, and repeats them every loopMs', async () => {
    const voice = tone(0.1, 500);
    const r = await recordRoom(
      { talkers: [{ samples: voice, atMs: 250, gainDb: -6 }], loopMs: 1000 },
      { durationMs: 2000 },
    );
    const g = 10 ** (-6 / 20);
    expect(rms(r.near, 0, 4000)).toBe(0);
    for (const start of [4000, 20000]) {
      for (let k = 0; k < voice.length; k += 97) expect(r.near[start + k]).toBeCloseTo(voice[k] * g, 6);
    }
    expect(rms(r.near, 4000 + voice.length, 20000)).toBe(0);
  });

  it('sends a talker through its own room when asked (given IR exactly; synthetic RT60 adds a tail)', async () => {
    const voice = tone(0.1, 500);
    const exact = await recordRoom(
      { talkers: [{ samples: voice, atMs: 100, room: { ir: [0, 0.5] } }] },
      { durationMs: 400 },
    );
    for (let k = 0; k < voice.length; k += 53)
      expect(exact.near[1600 + k + 1]).toBeCloseTo(0.5 * voice[k], 6);
    const wet = await recordRoom(
      { talkers: [{ samples: voice, atMs: 100, room: { rt60: 0.3 } }] },
      { durationMs: 600 },
    );
    // Dry speech ends at 200 ms; the reverberant tail is still audible 50 ms later.
    expect(rms(wet.near, 3200 + 800, 3200 + 1600)).toBeGreaterThan(1e-3);
    const again = await recordRoom(
      { talkers: [{ samples: voice, atMs: 100, room: { rt60: 0.3 } }] },
      { durationMs: 600 },
    );
    expect(again.near).toEqual(wet.near);
    await expect(new RoomDevice({ talkers: [{ samples: voice, atMs: 0, room: {} }] }).open()).rejects.toThrow(
      /talkers\[0\]\.room needs exactly one of rt60 or ir/,
    );
  });

  it('resamples WAV talkers to the scenario rate', async () => {
    const path = join(tmp, 'talker48k.wav');
    writeWav16(
      path,
      Float32Array.from({ length: 48000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 48000)),
      48000,
    );
    const r = await recordRoom({ talkers: [{ wav: path, atMs: 0 }] }, { durationMs: 1000 });
    // 1 s at 48 kHz became 1 s at 16 kHz: a 1 kHz tone of amplitude 0.5 (RMS 0.354) throughout.
    expect(db(rms(r.near, 800, 15200) / Math.SQRT1_2 / 0.5)).toBeCloseTo(0, 1);
  });

  for (const type of ['white', 'pink', 'babble'] as const) {
    it(`sets ${type} noise to the requested SNR against the talkers' active speech level`, async () => {
      const speech = tone(1, 300, 0.3);
      const r = await recordRoom(
        { talkers: [{ samples: speech, atMs: 0 }], noise: { type, snrDb: 12 }, seed: 4 },
        { durationMs: 5000 },
      );
      // The level is calibrated on the first 5 s of the same generator: it matches there exactly.
      expect(db(rms(speech) / rms(r.noise))).toBeCloseTo(12, 1);
    });
  }

  it('generates the same noise whatever the frame size (block-size independent generators)', async () => {
    for (const type of ['white', 'pink', 'babble'] as const) {
      const a = await recordRoom({ noise: { type, levelDbfs: -30 }, frameMs: 10 }, { durationMs: 600 });
      const b = await recordRoom({ noise: { type, levelDbfs: -30 }, frameMs: 20 }, { durationMs: 600 });
      expect(a.noise).toEqual(b.noise);
    }
  });

  it('sets an absolute noise level in dBFS', async () => {
    const r = await recordRoom({ noise: { type: 'pink', levelDbfs: -40 } }, { durationMs: 5000 });
    expect(db(rms(r.noise))).toBeCloseTo(-40, 1);
  });

  it('soft-clips the loudspeaker: the echo of a full-scale signal is bounded by the clip level', async () => {
    const r = await recordRoom(
      { echoPath: { ir: [1], nonlinearity: { type: 'softclip', level: 0.3 } } },
      { durationMs: 200, playback: tone(0.2, 200, 0.99) },
    );
    const peak = r.mic.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeLessThanOrEqual(0.3);
    expect(peak).toBeGreaterThan(0.28);
  });
});

describe('RoomDevice: bad scenarios are clear errors', () => {
  const cases: Array<[string, RoomScenario, RegExp]> = [
    ['negative rt60', { echoPath: { rt60: -1 } }, /echoPath\.rt60/],
    ['empty ir', { echoPath: { ir: [] } }, /echoPath\.ir is empty/],
    ['SNR without talkers', { noise: { type: 'pink', snrDb: 10 } }, /snrDb needs near-end talkers/],
    [
      'both wav and samples',
      { talkers: [{ wav: 'x.wav', samples: new Float32Array(4), atMs: 0 }] },
      /talkers\[0\] needs exactly one/,
    ],
    [
      'missing WAV file',
      { talkers: [{ wav: '/nonexistent/customer.wav', atMs: 0 }] },
      /customer\.wav: cannot read \(ENOENT\)/,
    ],
    ['odd frame length', { rate: 16000, frameMs: 10.03 }, /frameMs/],
    ['unknown noise', { noise: { type: 'brown' as 'pink', levelDbfs: -30 } }, /noise\.type/],
  ];
  for (const [what, s, msg] of cases) {
    it(what, async () => {
      const dev = new RoomDevice(s);
      await expect(dev.open()).rejects.toThrow(msg);
      expect(dev.stats().state).toBe('closed');
    });
  }
});

describe('RoomDevice: paced in real time', () => {
  it('delivers contiguous frames from a timer, catching up after a stall instead of drifting', async () => {
    const dev = new RoomDevice({}, { paced: true });
    // Which timer callback delivered each frame: a microtask queued by the first frame of a
    // callback runs only after that callback returns, so frames of one callback share a number.
    const tickOf: number[] = [];
    const indices: number[] = [];
    let tick = 0;
    let inTick = false;
    dev.on('frame', (f) => {
      if (!inTick) {
        inTick = true;
        tick++;
        queueMicrotask(() => {
          inTick = false;
        });
      }
      tickOf.push(tick);
      indices.push(f.index);
    });
    await dev.open();
    await new Promise((r) => setTimeout(r, 100));
    // Block the event loop for 120 ms: 12 frames fall due; the next tick must deliver them at once.
    const stallEnd = performance.now() + 120;
    while (performance.now() < stallEnd);
    const before = tickOf.length;
    await new Promise((r) => setTimeout(r, 60));
    await dev.close();
    expect(indices).toEqual(Array.from({ length: indices.length }, (_, i) => i * F));
    // The first timer callback after the stall delivers every frame that fell due (≥ 12) at once.
    const burst = tickOf.filter((t) => t === tickOf[before]).length;
    expect(burst).toBeGreaterThanOrEqual(12);
    expect(dev.stats().xrunsCapture).toBe(0);
    const framesAtClose = dev.stats().framesCaptured;
    await new Promise((r) => setTimeout(r, 50));
    expect(dev.stats().framesCaptured).toBe(framesAtClose); // the clock stops on close
  });

  it('counts a capture xrun and skips ahead when a stall outlasts the capture buffer', async () => {
    const dev = new RoomDevice({}, { paced: true, captureBufferFrames: 10 });
    const indices: number[] = [];
    const xruns: string[] = [];
    dev.on('frame', (f) => indices.push(f.index));
    dev.on('xrun', (d) => xruns.push(d));
    await dev.open();
    await new Promise((r) => setTimeout(r, 50));
    const stallEnd = performance.now() + 400;
    while (performance.now() < stallEnd);
    await new Promise((r) => setTimeout(r, 50));
    await dev.close();
    // At least our stall (a loaded machine may add its own), each one counted and reported.
    expect(xruns.length).toBeGreaterThanOrEqual(1);
    expect(xruns.every((d) => d === 'capture')).toBe(true);
    expect(dev.stats().xrunsCapture).toBe(xruns.length);
    // Each xrun is a jump in the capture index (dropped frames), never an overlap.
    const gaps = indices
      .slice(1)
      .map((v, i) => v - indices[i])
      .filter((d) => d !== F);
    expect(gaps.length).toBe(xruns.length);
    expect(Math.max(...gaps)).toBeGreaterThan(20 * F);
    expect(gaps.every((g) => g > F)).toBe(true);
  });

  it('clockRate slows the paced clock: a frame per 20 ms of wall clock at 0.5, none dropped', async () => {
    const dev = new RoomDevice({}, { paced: true, clockRate: 0.5 });
    const indices: number[] = [];
    let fifteenthAt = 0;
    dev.on('frame', (f) => {
      indices.push(f.index);
      if (indices.length === 15) fifteenthAt = performance.now();
    });
    const t0 = performance.now();
    await dev.open();
    while (indices.length < 15) await new Promise((r) => setTimeout(r, 10));
    await dev.close();
    // Never ahead of the slowed clock (a loaded machine can only make it later): frame 15 falls due
    // 15 × 20 ms after open.
    expect(fifteenthAt - t0).toBeGreaterThanOrEqual(15 * 20 - 1);
    expect(indices).toEqual(Array.from({ length: indices.length }, (_, i) => i * F));
    expect(dev.stats().xrunsCapture).toBe(0);
  });

  it('rejects a clockRate that is not a positive number', () => {
    for (const clockRate of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => new RoomDevice({}, { paced: true, clockRate })).toThrow(/clockRate/);
  });

  it('sends a throwing frame handler to onHandlerError and keeps running', async () => {
    const errors: unknown[] = [];
    const dev = new RoomDevice({}, { paced: true, onHandlerError: (e) => errors.push(e) });
    let n = 0;
    dev.on('frame', () => {
      if (++n === 3) throw new Error('consumer bug');
    });
    await dev.open();
    await new Promise((r) => setTimeout(r, 100));
    await dev.close();
    expect(errors).toHaveLength(1);
    expect(n).toBeGreaterThan(3);
  });
});

describe('Rng', () => {
  it('is reproducible and roughly uniform / normal', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 20000 }, () => a.next());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.next()));
    expect(xs.reduce((s, v) => s + v, 0) / xs.length).toBeCloseTo(0.5, 1);
    const g = new Rng(1);
    const gs = Array.from({ length: 20000 }, () => g.gaussian());
    expect(Math.sqrt(gs.reduce((s, v) => s + v * v, 0) / gs.length)).toBeCloseTo(1, 1);
  });
});
