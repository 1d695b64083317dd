import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validateConfig } from '../../src/config/load.js';
import { type BuiltinDeps, registerBuiltinCommands } from '../../src/fleet/commands/builtin.js';
import {
  applyLive,
  leafPaths,
  needsRestart,
  planConfigChange,
} from '../../src/fleet/commands/config-apply.js';
import { CommandError, CommandRegistry } from '../../src/fleet/commands/registry.js';
import { TopicNames } from '../../src/fleet/topics.js';

function builtins(over: Partial<BuiltinDeps> = {}) {
  const calls: string[] = [];
  const config = validateConfig({});
  const deps: BuiltinDeps = {
    config,
    persistRemoteConfig: (p) => calls.push(`persist ${JSON.stringify(p)}`),
    configApplied: (live, rr) => calls.push(`applied ${live} | ${rr}`),
    setKillSwitch: (on) => calls.push(`kill ${on}`),
    setHandoffMode: (m) => calls.push(`handoff ${m}`),
    conversationActive: () => false,
    scheduleRestart: () => calls.push('restart'),
    diagnostics: () => ({ ok: 1 }),
    ping: () => ({ pong: true }),
    ...over,
  };
  const registry = new CommandRegistry();
  registerBuiltinCommands(registry, deps);
  return { registry, calls, config };
}

describe('CommandRegistry', () => {
  it('validates with the registered schema, echoes the transaction, and maps errors', async () => {
    const r = new CommandRegistry();
    r.registerCommand('update', z.strictObject({ url: z.url() }), (a) => ({ got: a.url }));
    r.registerCommand('busy', z.strictObject({}), () => {
      throw new CommandError('busy', 'later');
    });
    expect(await r.dispatch('update', '{"url":"https://x.example/b.raucb","transaction":"t1"}')).toEqual({
      command: 'update',
      transaction: 't1',
      ok: true,
      result: { got: 'https://x.example/b.raucb' },
    });
    expect(await r.dispatch('update', '{"url":5}')).toMatchObject({
      ok: false,
      error: { code: 'invalid', message: expect.stringContaining('url') },
    });
    expect(await r.dispatch('update', 'nope')).toMatchObject({ ok: false, error: { code: 'bad_json' } });
    expect(await r.dispatch('update', '{"transaction":7}')).toMatchObject({
      ok: false,
      error: { code: 'invalid', message: expect.stringContaining('transaction') },
    });
    expect(await r.dispatch('busy', '')).toMatchObject({
      ok: false,
      error: { code: 'busy', message: 'later' },
    });
    expect(await r.dispatch('nosuch', '{}')).toMatchObject({ ok: false, error: { code: 'unknown_command' } });
    expect(() => r.registerCommand('update', z.object({}), () => 1)).toThrow(/already registered/);
    expect(() => r.registerCommand('Bad Name', z.object({}), () => 1)).toThrow(/lower-case/);
  });
});

describe('config command', () => {
  it('splits live and restart-required keys using the schema meta', () => {
    const current = validateConfig({});
    const plan = planConfigChange(current, {
      fleet: { healthIntervalS: 9, queue: { maxBytes: 1 << 20 } },
      log: { level: 'debug' },
    });
    expect(plan.live.sort()).toEqual(['fleet.healthIntervalS', 'log.level']);
    expect(plan.restartRequired).toEqual(['fleet.queue.maxBytes']);
    applyLive(current, plan);
    expect(current.fleet.healthIntervalS).toBe(9);
    expect(current.fleet.queue.maxBytes).toBe(16 * 1024 * 1024); // waits for the restart
    expect(needsRestart('audio.capture.rate')).toBe(true);
    expect(needsRestart('log.components.audio')).toBe(false);
    expect(leafPaths({ a: { b: 1, c: [2] }, d: {} })).toEqual(['a.b', 'a.c', 'd']);
  });

  it('changes nothing when the merged config does not validate', async () => {
    const { registry, calls, config } = builtins();
    const before = JSON.stringify(config);
    const r = await registry.dispatch(
      'config',
      JSON.stringify({ config: { fleet: { healthIntervalS: -1 }, audio: { nope: 1 } } }),
    );
    expect(r.ok).toBe(false);
    expect(r.error?.message).toContain('fleet.healthIntervalS');
    expect(r.error?.message).toContain('audio.nope');
    expect(JSON.stringify(config)).toBe(before);
    expect(calls).toEqual([]);
  });

  it('applies, persists and reports a valid change', async () => {
    const { registry, calls, config } = builtins();
    const r = await registry.dispatch(
      'config',
      JSON.stringify({ config: { fleet: { healthIntervalS: 5 } } }),
    );
    expect(r).toMatchObject({
      ok: true,
      result: { applied: ['fleet.healthIntervalS'], restart_required: [] },
    });
    expect(config.fleet.healthIntervalS).toBe(5);
    expect(calls).toEqual(['persist {"fleet":{"healthIntervalS":5}}', 'applied fleet.healthIntervalS | ']);
  });
});

describe('other built-in commands', () => {
  it('kill-switch, handoff-mode, ping', async () => {
    const { registry, calls } = builtins();
    expect((await registry.dispatch('kill-switch', '{"state":"on"}')).ok).toBe(true);
    expect((await registry.dispatch('kill-switch', '{"state":true}')).ok).toBe(false);
    expect((await registry.dispatch('handoff-mode', '{"mode":"never"}')).ok).toBe(true);
    expect((await registry.dispatch('handoff-mode', '{"mode":"sometimes"}')).ok).toBe(false);
    expect(await registry.dispatch('ping', '{}')).toMatchObject({ ok: true, result: { pong: true } });
    expect(calls).toEqual(['kill true', 'handoff never']);
  });

  it('restart refuses during a conversation unless forced', async () => {
    const { registry, calls } = builtins({ conversationActive: () => true });
    expect(await registry.dispatch('restart', '{}')).toMatchObject({ ok: false, error: { code: 'busy' } });
    expect(calls).toEqual([]);
    expect(await registry.dispatch('restart', '{"force":true}')).toMatchObject({ ok: true });
    expect(calls).toEqual(['restart']);
  });
});

describe('TopicNames', () => {
  it('accepts only this device’s own command topics', () => {
    const t = new TopicNames('voiceterm', 'dev1');
    expect(t.commandName('voiceterm/dev1/cmd/ping')).toBe('ping');
    expect(t.commandName('voiceterm/dev2/cmd/ping')).toBeUndefined();
    expect(t.commandName('voiceterm/dev1/cmd/ping/response')).toBeUndefined();
    expect(t.responseTopic('ping')).toBe('voiceterm/dev1/cmd/ping/response');
  });
});
