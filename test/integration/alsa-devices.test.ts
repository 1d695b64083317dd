/** `voiceterm devices` through the compiled CLI, against PCMs defined in a private ALSA config. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type AlsaConf, alsaConf, filePcms } from '../helpers/alsa-conf.js';
import { CLI } from '../helpers/cli.js';
import { scaled } from '../helpers/time-scale.js';

let conf: AlsaConf;

beforeAll(() => {
  conf = alsaConf();
  const infile = join(conf.dir, 'in.raw');
  writeFileSync(infile, Buffer.alloc(3200));
  conf.add(filePcms({ capture: 'vt_test_mic', playback: 'vt_test_spk' }, infile, join(conf.dir, 'out.raw')));
});
afterAll(() => conf.cleanup());

function devices(...args: string[]) {
  return spawnSync(process.execPath, [CLI, 'devices', ...args], {
    env: conf.env,
    encoding: 'utf8',
    timeout: scaled(20_000),
  });
}

test('--json lists the configured PCMs with the rates they accept', () => {
  const r = devices('--json');
  expect(r.status).toBe(0);
  const list = JSON.parse(r.stdout) as Array<{
    name: string;
    description: string;
    capture: { ok: boolean; rates?: number[] };
    playback: { ok: boolean; rates?: number[] };
  }>;
  const mic = list.find((p) => p.name === 'vt_test_mic');
  expect(mic?.description).toBe('voiceterm test capture (file)');
  expect(mic?.capture.ok).toBe(true);
  expect(mic?.capture.rates).toEqual(expect.arrayContaining([16000, 48000]));
  const spk = list.find((p) => p.name === 'vt_test_spk');
  expect(spk?.playback.ok).toBe(true);
  expect(spk?.playback.rates).toContain(16000);
});

test('the table names each PCM and its directions; extra names are probed too', () => {
  const r = devices('no_such_pcm');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^vt_test_spk {2}— voiceterm test playback \(file\)$/m);
  expect(r.stdout).toMatch(/playback: .*16k.*Hz/);
  expect(r.stdout).not.toContain('no_such_pcm'); // cannot be opened: not listed in the table
  const j = JSON.parse(devices('--json', 'no_such_pcm').stdout) as Array<{
    name: string;
    capture: { ok: boolean; error?: string };
  }>;
  expect(j.find((p) => p.name === 'no_such_pcm')?.capture).toMatchObject({
    ok: false,
    error: expect.stringMatching(/No such file/),
  });
});

test('an unknown option is a usage error', () => {
  const r = devices('--bogus');
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/bogus/);
});
