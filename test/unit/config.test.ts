import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { applyEnv, deepMerge, loadConfig, resolveStateDir } from '../../src/config/load.js';
import { maskSecrets } from '../../src/config/mask.js';
import { keyInfo, listKeys } from '../../src/config/meta.js';
import { configSchema } from '../../src/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('config loading', () => {
  it('applies schema defaults and the board profile under an empty site file', () => {
    const { config, sources } = loadConfig({ file: file('empty.yaml', ''), env: {} });
    expect(config.device.board).toBe('sim');
    expect(config.device.name).toBe('simulator'); // from board/sim/config.yaml
    expect(config.audio.capture.rate).toBe(16000); // schema default
    expect(sources[0]).toMatch(/board[/\\]sim[/\\]config\.yaml$/);
  });

  it('lets the site file override the board, key by key', () => {
    const { config } = loadConfig({
      file: file('site.yaml', 'device:\n  name: lane-2\naudio:\n  capture:\n    rate: 48000\n'),
      env: {},
    });
    expect(config.device.name).toBe('lane-2');
    expect(config.audio.capture.rate).toBe(48000);
    expect(config.audio.capture.device).toBe('default');
  });

  it('names the path and the expected value of every problem', () => {
    const problems = problemsOf(() =>
      loadConfig({
        file: file(
          'bad.yaml',
          'audio:\n  capture:\n    rate: 44100\n  bogus: true\nlog:\n  level: loud\nfleet:\n  broker:\n    keepaliveS: "30"\n',
        ),
        env: {},
      }),
    );
    expect(problems).toContain('audio.capture.rate: expected one of 16000, 48000, got 44100');
    expect(problems).toContain('audio.bogus: unknown key');
    expect(problems).toContain(
      'log.level: expected one of fatal, error, warn, info, debug, trace, got "loud"',
    );
    expect(problems).toContain('fleet.broker.url: required (expected string), missing');
    expect(problems).toContain('fleet.broker.keepaliveS: expected number, got "30"');
  });

  it('reports YAML syntax errors with the file and line', () => {
    const p = file('syntax.yaml', 'audio:\n  capture: [1, 2\n');
    try {
      loadConfig({ file: p, env: {} });
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toContain(p);
      expect((e as Error).message).toMatch(/line \d+/);
    }
  });

  it('rejects an unknown board by name', () => {
    expect(problemsOf(() => loadConfig({ file: file('e.yaml', ''), board: 'nope', env: {} }))[0]).toMatch(
      /^device\.board: no board profile named "nope"/,
    );
  });

  it('takes secrets from the environment and masks them in output', () => {
    const { config, envApplied } = loadConfig({
      file: file('broker.yaml', 'fleet:\n  broker:\n    url: mqtts://broker.example:8883\n'),
      env: { OPENAI_API_KEY: 'sk-live-123', VOICETERM_MQTT_PASSWORD: 'hunter2' },
    });
    expect(config.cloud.apiKey).toBe('sk-live-123');
    expect(config.fleet.broker?.password).toBe('hunter2');
    expect(envApplied).toEqual(expect.arrayContaining(['cloud.apiKey from $OPENAI_API_KEY']));
    const masked = maskSecrets(configSchema, config);
    expect(masked.cloud.apiKey).toBe('***');
    expect(masked.fleet.broker?.password).toBe('***');
    expect(JSON.stringify(masked)).not.toContain('hunter2');
    expect(config.cloud.apiKey).toBe('sk-live-123'); // the original is untouched
  });

  it('does not invent a broker section from credentials alone', () => {
    const { tree } = applyEnv({}, { VOICETERM_MQTT_PASSWORD: 'x' });
    expect(tree).toEqual({});
  });

  it('merges mappings deeply and replaces lists', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] } });
  });

  it('merges the persisted remote overlay, and ignores it with a warning when invalid', () => {
    const stateDir = mkdtempSync(join(dir, 'state-'));
    const site = file('site-state.yaml', `supervisor:\n  stateDir: ${stateDir}\ndevice:\n  name: site\n`);
    writeFileSync(join(stateDir, 'remote-config.yaml'), 'device:\n  name: remote\n');
    expect(loadConfig({ file: site, env: {} }).config.device.name).toBe('remote');
    writeFileSync(join(stateDir, 'remote-config.yaml'), 'device:\n  name: 42\n');
    const bad = loadConfig({ file: site, env: {} });
    expect(bad.config.device.name).toBe('site');
    expect(bad.warnings[0]).toContain('device.name: expected string, got 42');
  });

  it('prefers systemd StateDirectory for state', () => {
    expect(resolveStateDir('', { STATE_DIRECTORY: '/var/lib/voiceterm:/var/lib/other' })).toBe(
      '/var/lib/voiceterm',
    );
    expect(resolveStateDir('/data/vt', {})).toBe('/data/vt');
  });
});

describe('schema meta', () => {
  it('marks which keys need a restart, inheriting from sections', () => {
    expect(keyInfo(configSchema, 'audio.capture.rate')?.restart).toBe(true);
    expect(keyInfo(configSchema, 'device.id')?.restart).toBe(true);
    expect(keyInfo(configSchema, 'log.level')?.restart).toBeFalsy();
    expect(keyInfo(configSchema, 'cloud.instructions')?.restart).toBeFalsy();
  });

  it('marks secrets and their environment variables', () => {
    const secrets = listKeys(configSchema)
      .filter((k) => k.secret)
      .map((k) => k.path);
    expect(secrets).toEqual(expect.arrayContaining(['cloud.apiKey', 'fleet.broker.password']));
    expect(keyInfo(configSchema, 'cloud.apiKey')?.env).toContain('OPENAI_API_KEY');
  });
});
