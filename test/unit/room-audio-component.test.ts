import { afterEach, describe, expect, it } from 'vitest';
import { AudioComponent, roomScenarioFromConfig } from '../../src/audio/component.js';
import type { RoomDevice } from '../../src/audio/room/room-device.js';
import type { Notifier } from '../../src/supervisor/notify/notifier.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { testServices } from '../helpers/services.js';
import { until as untilHelper } from '../helpers/until.js';

const quietNotifier: Notifier = { enabled: false, watchdogMs: undefined, send() {} };

const until = (cond: () => boolean, ms = 15_000) => untilHelper(cond, ms);

let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.stop();
  sup = undefined;
});

function startWith(audio: unknown) {
  const s = testServices({
    audio,
    supervisor: { healthIntervalMs: 50, restartBackoffMs: { initial: 100, max: 200 } },
  });
  sup = new Supervisor({ ...s, notifier: quietNotifier, version: 'test' });
  const comp = new AudioComponent();
  sup.add(comp);
  return { s, sup, comp };
}

describe('AudioComponent on the room simulator', () => {
  it('plays the demo conversation in real time, reports health and logs frame statistics', async () => {
    const { s, sup, comp } = startWith({ backend: 'room', statsIntervalS: 1 });
    await sup.start();
    const dev = comp.device as RoomDevice;
    await until(() => s.logs.some((l) => l.msg === 'frame statistics'));
    const stats = s.logs.find((l) => l.msg === 'frame statistics') as Record<string, number | string>;
    expect(stats.component).toBe('audio');
    expect(stats.state).toBe('running');
    expect(stats.framesInWindow as number).toBeGreaterThan(0);
    // The agent's prompt is on the loudspeaker: the reference and the mic carry signal.
    expect(stats.refRmsDbfs as number).toBeGreaterThan(-50);
    expect(stats.micRmsDbfs as number).toBeGreaterThan(-50);
    expect(dev.playedSamples).toBeGreaterThan(0);
    await until(() => sup.health().audio?.healthy === true);
    const h = sup.health().audio;
    expect(h.summary).toMatch(/^room sim, \d+ frames$/);
    expect(h.details).toMatchObject({ backend: 'room', state: 'running', deviceLost: false });
  });

  it('a lost device makes it unhealthy (health, metric, bus event); running again makes it healthy', async () => {
    const { s, sup, comp } = startWith({ backend: 'room', room: { demo: false } });
    const events: string[] = [];
    s.bus.on('audio.device', (e) => events.push(e.state));
    await sup.start();
    const dev = comp.device as RoomDevice;
    await until(() => dev.stats().framesCaptured > 5);
    dev.loseDevice('USB microphone unplugged');
    await until(() => sup.health().audio?.healthy === false);
    expect(sup.health().audio.details).toMatchObject({
      deviceLost: true,
      lostReason: 'USB microphone unplugged',
      lostCount: 1,
    });
    expect(sup.health().audio.summary).toBe('room sim lost: USB microphone unplugged');
    expect(s.metrics.counter('audio.device_lost')).toBe(1);
    // The supervisor itself is unaffected: the component is still 'running' (degraded, not failed).
    expect(sup.health().audio.state).toBe('running');
    dev.restoreDevice();
    await until(() => sup.health().audio?.healthy === true);
    const framesBack = dev.stats().framesCaptured;
    await until(() => dev.stats().framesCaptured > framesBack + 3);
    expect(s.metrics.counter('audio.device_reopened')).toBe(1);
    expect(sup.health().audio.details).toMatchObject({ deviceLost: false, reopens: 1 });
    expect(events).toEqual(['opening', 'running', 'lost', 'reopening', 'running']);
  });

  it('a room talker WAV that does not exist is a clear component error, not a crash', async () => {
    const { sup } = startWith({
      backend: 'room',
      room: { talkers: [{ wav: '/nonexistent/customer.wav', atMs: 0 }] },
    });
    await sup.start();
    await until(() => sup.health().audio?.lastError !== undefined);
    expect(sup.health().audio.lastError).toMatch(/customer\.wav: cannot read \(ENOENT\)/);
    expect(sup.health().audio.healthy).toBe(false);
  });

  it('an ALSA device that cannot be opened fails the component, not the supervisor', async () => {
    const { s, sup } = startWith({
      backend: 'alsa',
      capture: { device: 'hw:CARD=NoSuchCard' },
      playback: { device: 'hw:CARD=NoSuchCard' },
    });
    await sup.start();
    await until(() => sup.health().audio?.lastError !== undefined);
    expect(sup.health().audio.healthy).toBe(false);
    expect(s.logs.some((l) => l.component === 'supervisor' && l.msg === 'supervisor ready')).toBe(true);
  });
});

describe('roomScenarioFromConfig', () => {
  it('maps audio.room onto a scenario', () => {
    const s = testServices({
      audio: {
        room: {
          rt60S: 0.5,
          delayMs: 40,
          echoGainDb: -3,
          softclipLevel: 0.6,
          noise: { type: 'babble', snrDb: 10 },
          talkers: [{ wav: 'a.wav', atMs: 100 }],
        },
      },
    });
    expect(roomScenarioFromConfig(s.config.audio)).toEqual({
      rate: 16000,
      seed: 1,
      echoPath: { rt60: 0.5, delayMs: 40, gainDb: -3, nonlinearity: { type: 'softclip', level: 0.6 } },
      talkers: [{ wav: 'a.wav', atMs: 100, gainDb: 0 }],
      noise: { type: 'babble', snrDb: 10 },
      loopMs: undefined,
    });
  });

  it('has no noise without near-end talkers (the SNR would refer to nothing)', () => {
    const s = testServices({ audio: { room: { demo: false } } });
    expect(roomScenarioFromConfig(s.config.audio).noise).toEqual({ type: 'none' });
  });

  it('rejects bad audio.room keys through the config schema', () => {
    expect(() => testServices({ audio: { room: { rt60S: -1 } } })).toThrow(/audio\.room\.rt60S/);
    expect(() => testServices({ audio: { room: { noise: { type: 'brown' } } } })).toThrow(
      /audio\.room\.noise\.type/,
    );
  });
});
