/**
 * Hand-off outputs (GPIO value file, command hook) and local speech output (recorded WAV prompts,
 * espeak-ng, and the fallback when a recording is broken) with the real programs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeWav16 } from '../../src/audio/pcm.js';
import { HandoffOutputs } from '../../src/offline/handoff.js';
import { LocalVoice } from '../../src/offline/voice.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-offline-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('hand-off outputs', () => {
  it('pulses the GPIO line and runs the command hook with the reason and transcript', async () => {
    const gpio = join(dir, 'gpio17-value');
    writeFileSync(gpio, '0\n');
    const out = join(dir, 'hook-out');
    const h = new HandoffOutputs({
      gpioValuePath: gpio,
      pulseMs: 150,
      command: [
        'sh',
        '-c',
        `printf '%s|%s' "$VOICETERM_HANDOFF_REASON" "$VOICETERM_HANDOFF_TRANSCRIPT" > ${out}`,
      ],
    });
    const r = await h.trigger({ reason: 'intent:person', transcript: 'customer: talk to a person' });
    expect(r).toEqual({ gpio: 'pulsed', command: 'ran' });
    expect(readFileSync(gpio, 'utf8')).toBe('1\n');
    expect(readFileSync(out, 'utf8')).toBe('intent:person|customer: talk to a person');
    await sleep(300);
    expect(readFileSync(gpio, 'utf8')).toBe('0\n');
  });

  it('a missing GPIO or a failing hook is reported, never thrown', async () => {
    const h = new HandoffOutputs({
      gpioValuePath: join(dir, 'no', 'such', 'gpio'),
      pulseMs: 0,
      command: ['sh', '-c', 'echo broken >&2; exit 3'],
    });
    const r = await h.trigger({ reason: 'no-answer', transcript: '' });
    expect(r.gpio).toMatch(/gpio failed: ENOENT/);
    expect(r.command).toMatch(/command failed: .*broken/s);
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });

  it('outputs that are not configured are off', async () => {
    expect(
      await new HandoffOutputs({ gpioValuePath: '', pulseMs: 0, command: [] }).trigger({
        reason: 'x',
        transcript: '',
      }),
    ).toEqual({ gpio: 'off', command: 'off' });
  });
});

describe('local voice', () => {
  const opts = { voice: 'en-us', wpm: 160, promptsDir: dir, gain: 0.5, rate: 16000 };

  it('synthesises with espeak-ng at the device rate, normalised to the gain, and caches', async () => {
    const v = new LocalVoice(opts);
    const a = await v.clip('Please wait for a member of staff.');
    expect(a.source).toBe('espeak-ng');
    expect(a.samples.length).toBeGreaterThan(16000); // more than a second of speech at 16 kHz
    expect(Math.max(...a.samples.map(Math.abs))).toBeCloseTo(0.5, 2);
    expect((await v.clip('Please wait for a member of staff.')).samples).toBe(a.samples);
  });

  it('plays a recorded prompt (resampled from its own rate) instead of synthesising', async () => {
    const tone = new Float32Array(48000).map((_, i) => 0.25 * Math.sin((2 * Math.PI * 440 * i) / 48000));
    writeFileSync(join(dir, 'welcome.wav'), encodeWav16(tone, 48000));
    const c = await new LocalVoice(opts).clip('ignored text', 'welcome.wav');
    expect(c.source).toBe('recording');
    expect(Math.abs(c.samples.length - 16000)).toBeLessThan(20);
  });

  it('a broken recording falls back to espeak-ng and says why', async () => {
    writeFileSync(join(dir, 'broken.wav'), 'not a wav at all');
    const c = await new LocalVoice(opts).clip('Sorry about that.', 'broken.wav');
    expect(c.source).toBe('espeak-ng');
    expect(c.error).toMatch(/not a RIFF\/WAVE file/);
    expect(c.samples.length).toBeGreaterThan(0);
  });
});
