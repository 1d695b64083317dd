/**
 * Paced, real-time full duplex through real alsa-lib: ALSA's `pulse` PCM plays into a private
 * PulseAudio null sink and captures its monitor, so the mic hears exactly what was played, on a
 * real clock. Checks the played position against what arrives, the reference alignment the echo
 * canceller relies on, flush, and a sound card that disappears and comes back.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AlsaDevice } from '../../src/audio/alsa/alsa-device.js';
import { LoopbackProbe, percentile } from '../../src/audio/alsa/loopback-probe.js';
import { alsaAddon } from '../../src/audio/alsa/native.js';
import type { AudioDeviceState } from '../../src/audio/device.js';
import { type AlsaConf, alsaConf } from '../helpers/alsa-conf.js';
import { sleep, until } from '../helpers/alsa-wait.js';
import { type PulseServer, startPulse } from '../helpers/pulse.js';
import { TIME_SCALE } from '../helpers/time-scale.js';

const RATE = 16000;
const PERIOD = 160;
const PERIOD_MS = (PERIOD / RATE) * 1000;

let pulse: PulseServer;
let conf: AlsaConf;
let dev: AlsaDevice;
let probe: LoopbackProbe;
const states: Array<[AudioDeviceState, string | undefined]> = [];

/** Position (in played-sample units) that the next write() starts at, once the queue is empty. */
function nextQueuePos(): number {
  const s = dev.engineStats();
  return s ? s.written - s.flushed : 0;
}

beforeAll(async () => {
  pulse = await startPulse({ rate: RATE });
  conf = alsaConf(pulse.pcms({ playback: 'vt_spk', capture: 'vt_mon' }));
  dev = new AlsaDevice({
    capture: { device: 'vt_mon', channels: 1, format: 'S16_LE', micChannel: 0 },
    playback: { device: 'vt_spk', channels: 1, format: 'S16_LE' },
    rate: RATE,
    periodFrames: PERIOD,
    bufferPeriods: 4,
    reopenMinMs: 100,
    reopenMaxMs: 500,
  });
  dev.on('state', (s, r) => states.push([s, r]));
  probe = new LoopbackProbe(dev);
  await dev.open();
  // PulseAudio hands a new record stream a long backlog first; wait until capture runs live.
  await until(
    () => (dev.engineStats()?.captureDelay ?? 1e9) < 640 && dev.stats().framesCaptured > 50,
    'live capture',
    15_000,
  );
});

afterAll(async () => {
  await dev?.close();
  await pulse?.stop();
  conf?.cleanup();
});

describe('paced full duplex through a PulseAudio null sink', () => {
  test('playedSamples predicts when each click reaches the sink, and the reference lines up with the mic', async () => {
    probe.reset();
    const clicks: number[] = [];
    const signal = new Float32Array(RATE * 2);
    const base = nextQueuePos();
    for (let at = 800; at + 8 < signal.length; at += 1600) {
      signal.fill(0.5, at, at + 8);
      clicks.push(base + at);
    }
    expect(dev.write(signal)).toBe(signal.length);
    await until(() => dev.playedSamples >= base + signal.length, 'clicks played', 10_000);
    await sleep(200);
    const errors = probe.clickErrorsMs(clicks);
    console.log(
      `click arrival − playedSamples prediction (ms): ${errors.map((e) => e.toFixed(1)).join(' ')}`,
    );
    expect(errors).toHaveLength(clicks.length);
    // Within one period typically (the bench reports the p95); every click within 1.5 periods even
    // on a loaded CI machine. The null sink's render-ahead makes clicks arrive a little early.
    expect(percentile(errors.map(Math.abs), 50)).toBeLessThanOrEqual(PERIOD_MS);
    expect(Math.max(...errors.map(Math.abs))).toBeLessThanOrEqual(1.5 * PERIOD_MS);
    const align = probe.refAlignment(RATE / 20);
    console.log(`mic onset − reference onset (samples): ${align.join(' ')}`);
    expect(align.length).toBeGreaterThanOrEqual(clicks.length - 1);
    // The echo canceller needs a steady offset above all: within a run it moves by at most 1 ms.
    // Its size here is the null sink's: the monitor gets audio when the sink renders it, which is
    // up to a sink latency before PulseAudio reports it played, so mic leads ref by ~0.5-1 period.
    // Under arm64 emulation (TIME_SCALE > 1) the slow code between a transfer and its delay query
    // lands anywhere in a period and drifts (measured 161-178 samples): there, the bound below (2 periods).
    const spread = TIME_SCALE === 1 ? RATE / 1000 : 2 * PERIOD;
    expect(Math.max(...align) - Math.min(...align)).toBeLessThanOrEqual(spread);
    expect(percentile(align.map(Math.abs), 95)).toBeLessThanOrEqual(2 * PERIOD);
  });

  test('flush in the middle of a long tone drops the device buffer too', async () => {
    const tone = new Float32Array(RATE * 3).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / RATE));
    const base = nextQueuePos();
    dev.write(tone);
    await until(() => dev.playedSamples > base + RATE, 'tone playing');
    const flushedAt = alsaAddon().nowMs();
    const dropped = dev.flush();
    await sleep(300);
    const continuedMs = probe.captureTimeOf(probe.lastLoudMic) - flushedAt;
    console.log(
      `tone continued ${continuedMs.toFixed(1)} ms after flush(); ${dropped} samples dropped from the queue`,
    );
    expect(dropped).toBeGreaterThan(RATE);
    // Without dropping what the device holds, the 40 ms buffer would keep playing.
    expect(continuedMs).toBeLessThan(4 * PERIOD_MS);
    expect(dev.stats().queuedSamples).toBe(0);
  });

  test('the sound card disappears and comes back: lost, reopening, running; capture and playback resume', async () => {
    states.length = 0;
    await pulse.kill();
    await until(() => states.some(([s]) => s === 'lost'), 'lost state', 10_000);
    await until(() => states.some(([s]) => s === 'reopening'), 'reopening state', 10_000);
    const lost = states.find(([s]) => s === 'lost');
    console.log(`lost: ${lost?.[1]}`);
    expect(lost?.[1]).toBeTruthy();
    await sleep(700); // a few failed reopen attempts while the server is away
    expect(dev.stats().state).toBe('reopening');
    const framesBefore = dev.stats().framesCaptured;
    await pulse.start();
    await until(() => dev.stats().state === 'running', 'running again', 15_000);
    expect(dev.stats().reopens).toBeGreaterThanOrEqual(1);
    await until(() => dev.stats().framesCaptured > framesBefore + 20, 'capture resumed', 15_000);
    // Playback works again too: a click written now arrives at the mic.
    await until(() => (dev.engineStats()?.captureDelay ?? 1e9) < 640, 'live capture', 15_000);
    probe.reset();
    const click = new Float32Array(RATE / 2);
    click.fill(0.5, 1600, 1608);
    dev.write(click);
    await until(() => probe.micOnsets.length > 0, 'click after reopen', 10_000);
    expect(states.map(([s]) => s)).toEqual(['lost', 'reopening', 'running']);
  });
});
