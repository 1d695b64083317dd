import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

describe('voiceterm config check', () => {
  it('exits non-zero and names each path: wrong type, unknown key, missing required key', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      [
        'log:',
        '  statusIntervalS: often',
        'audio:',
        '  capture:',
        '    rate: 44100',
        '  volume: 11',
        'fleet:',
        '  broker:',
        '    keepaliveS: 20',
        '',
      ].join('\n'),
    );
    const r = cli(['config', 'check', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('log.statusIntervalS: expected number, got "often"');
    expect(r.stderr).toContain('audio.capture.rate: expected one of 16000, 48000, got 44100');
    expect(r.stderr).toContain('audio.volume: unknown key');
    expect(r.stderr).toContain('fleet.broker.url: required (expected string), missing');
    expect(r.stdout).toBe('');
  });

  it('prints the effective config with secrets masked', () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      'device:\n  name: lane-1\ncloud:\n  provider: openai-realtime\n  apiKey: sk-file-secret\n',
    );
    const r = cli(['config', 'check', good, '--json'], { VOICETERM_MQTT_PASSWORD: 'never-shown' });
    expect(r.status).toBe(0);
    const eff = JSON.parse(r.stdout);
    expect(eff.device.name).toBe('lane-1');
    expect(eff.cloud.provider).toBe('openai-realtime');
    expect(eff.cloud.apiKey).toBe('***');
    expect(eff.audio.capture.rate).toBe(16000);
    expect(r.stdout).not.toContain('sk-file-secret');
    const yaml = cli(['config', 'check', good]);
    expect(yaml.status).toBe(0);
    expect(yaml.stdout).toContain('apiKey: "***"');
    expect(yaml.stdout).not.toContain('sk-file-secret');
  });

  it('has --help on every subcommand and rejects unknown ones', () => {
    for (const sub of ['run', 'config', 'devices', 'version']) {
      const r = cli([sub, '--help']);
      expect(r.status, sub).toBe(0);
      expect(r.stdout).toContain(`usage: voiceterm ${sub}`);
    }
    const r = cli(['fly']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "fly"');
    const v = cli(['version', '--json']);
    expect(JSON.parse(v.stdout).voiceterm).toMatch(/^\d+\.\d+\.\d+/);
  });
});
