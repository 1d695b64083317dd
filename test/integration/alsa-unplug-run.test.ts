/**
 * Acceptance "unplug simulation" through the real CLI: `voiceterm run --config X` with the ALSA
 * backend on a PulseAudio-backed PCM. The server (the "sound card") is killed and started again:
 * the supervisor stays up, its status reports the audio device lost, and capture resumes when the
 * card returns.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type AlsaConf, alsaConf } from '../helpers/alsa-conf.js';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { type PulseServer, startPulse } from '../helpers/pulse.js';

let pulse: PulseServer;
let conf: AlsaConf;
let cli: RunningCli | undefined;
const dir = mkdtempSync(join(tmpdir(), 'vt-unplug-'));

beforeAll(async () => {
  pulse = await startPulse();
  conf = alsaConf(pulse.pcms({ playback: 'vt_spk', capture: 'vt_mon' }));
});

afterAll(async () => {
  cli?.child.kill('SIGKILL');
  await pulse?.stop();
  conf?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const audioStatus = (re: RegExp) => (l: Record<string, unknown>) =>
  l.component === 'supervisor' && typeof l.status === 'string' && re.test(l.status);

test('the sound card disappears and returns: supervisor stays up, reports it lost, capture resumes', async () => {
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `audio:
  backend: alsa
  capture: { device: vt_mon }
  playback: { device: vt_spk }
  statsIntervalS: 1
log:
  statusIntervalS: 1
`,
  );
  cli = startCli(['run', '--board', 'sim', '--config', config], { ...conf.env, STATE_DIRECTORY: dir });
  const open = await cli.waitForLog((l) => l.component === 'audio' && l.msg === 'audio device open', 20_000);
  expect(open).toMatchObject({ backend: 'alsa', rate: 16000 });
  await cli.waitForLog(audioStatus(/audio ok \(alsa/), 20_000);

  await pulse.kill();
  const lost = await cli.waitForLog(audioStatus(/audio unhealthy \(alsa (lost|reopening)/), 20_000);
  expect(String(lost.status)).toMatch(/EIO|ECONNREFUSED|errno/);
  const lostAt = cli.logs.indexOf(lost);
  expect(cli.child.exitCode).toBeNull();

  await pulse.start();
  const back = await cli.waitForLog(audioStatus(/audio ok \(alsa/), 30_000, lostAt);
  const frames = await cli.waitForLog(
    (l) => l.component === 'audio' && l.msg === 'frame statistics' && (l.frames as number) > 0,
    20_000,
    cli.logs.indexOf(back),
  );
  expect(frames.state).toBe('running');
  expect(cli.child.exitCode).toBeNull();

  cli.child.kill('SIGTERM');
  const exit = await cli.exited;
  expect(exit.code).toBe(0);
});
