/**
 * Commands over a real mosquitto: valid ones are applied and answered with the request's
 * correlation data (MQTT 5) or transaction (MQTT 3.1.1); malformed JSON, wrong types and unknown
 * commands get an error naming the problem and change nothing. The device runs with synthetic
 * events that carry a card number: it must never appear unredacted in a payload or a file.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { scaled } from '../helpers/time-scale.js';

const ID = `cmdtest${process.pid}`;
const CARD = /4111[ -]?1111[ -]?1111[ -]?1111/;

let broker: Mosquitto;
let device: RunningCli;
let work: string;
let stateDir: string;
let v5: MqttClient;
let v4: MqttClient;
const seen: { topic: string; payload: string }[] = [];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

async function command(
  client: MqttClient,
  name: string,
  payload: string,
  corr: string,
): Promise<Record<string, unknown>> {
  const responseTopic = `voiceterm/${ID}/cmd/${name}/response`;
  return await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no response to ${name}`)), scaled(10_000));
    const onMessage = (topic: string, p: Buffer, packet: mqtt.IPublishPacket) => {
      if (topic !== responseTopic) return;
      const got =
        packet.properties?.correlationData?.toString() ??
        (JSON.parse(String(p)) as { transaction?: string }).transaction;
      if (got !== corr) return;
      clearTimeout(t);
      client.off('message', onMessage);
      resolve(JSON.parse(String(p)));
    };
    client.on('message', onMessage);
    const props =
      client.options.protocolVersion === 5
        ? { responseTopic, correlationData: Buffer.from(corr) }
        : undefined;
    client.publish(`voiceterm/${ID}/cmd/${name}`, payload, { qos: 1, properties: props });
  });
}

beforeAll(async () => {
  broker = await startMosquitto();
  work = mkdtempSync(join(tmpdir(), 'vt-fleet-cmd-'));
  stateDir = join(work, 'state');
  const configPath = join(work, 'config.yaml');
  writeFileSync(
    configPath,
    JSON.stringify({
      device: { id: ID },
      supervisor: { stateDir },
      offline: { enabled: false }, // its recogniser is not under test here
      fleet: { broker: { url: broker.url, keepaliveS: 5 }, healthIntervalS: 1, healthMinGapS: 0 },
    }),
  );
  v5 = mqtt.connect(broker.url, { protocolVersion: 5, clientId: `${ID}-ops5` });
  v4 = mqtt.connect(broker.url, { protocolVersion: 4, clientId: `${ID}-ops4` });
  await Promise.all([v5, v4].map((c) => new Promise<void>((r) => c.once('connect', () => r()))));
  await v5.subscribeAsync(`voiceterm/${ID}/#`, { qos: 1 });
  await v4.subscribeAsync(`voiceterm/${ID}/cmd/+/response`, { qos: 1 });
  v5.on('message', (topic, p) => seen.push({ topic, payload: String(p) }));
  device = startCli(['run', '--config', configPath], {
    VOICETERM_DEBUG_HOOKS: '1',
    VOICETERM_FLEET_SYNTHETIC_EVENTS_PER_S: '10',
  });
  const deadline = Date.now() + scaled(15_000);
  while (!seen.some((m) => m.topic.endsWith('/status') && m.payload.includes('"online"'))) {
    if (Date.now() > deadline)
      throw new Error(
        `device not online:\n${device.logs
          .slice(-10)
          .map((l) => JSON.stringify(l))
          .join('\n')}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}, scaled(60_000));

afterAll(async () => {
  if (device && device.child.exitCode === null) {
    device.child.kill('SIGKILL');
    await device.exited;
  }
  v5?.end(true);
  v4?.end(true);
  await broker?.dispose();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('fleet commands', () => {
  it('answers ping with the MQTT 5 correlation data', async () => {
    const r = await command(v5, 'ping', '{}', 'c-ping');
    expect(r).toMatchObject({ command: 'ping', ok: true, result: { pong: true } });
    expect(typeof r.id).toBe('string');
  });

  it('echoes the transaction field for MQTT 3.1.1 clients', async () => {
    const r = await command(v4, 'ping', '{"transaction":"t-311"}', 't-311');
    expect(r).toMatchObject({ ok: true, transaction: 't-311' });
  });

  it('rejects malformed JSON, wrong types and unknown commands, naming the problem', async () => {
    expect(await command(v5, 'config', '{"config": {', 'c-bad')).toMatchObject({
      ok: false,
      error: { code: 'bad_json' },
    });
    const wrong = await command(
      v5,
      'config',
      JSON.stringify({ config: { fleet: { healthIntervalS: 'often' } } }),
      'c-type',
    );
    expect(wrong).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect((wrong.error as { message: string }).message).toContain('fleet.healthIntervalS');
    const unknownKey = await command(
      v5,
      'config',
      JSON.stringify({ config: { fleet: { nope: 1 } } }),
      'c-key',
    );
    expect((unknownKey.error as { message: string }).message).toContain('fleet.nope');
    const ks = await command(v5, 'kill-switch', '{"state":"maybe"}', 'c-ks');
    expect(ks).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect((ks.error as { message: string }).message).toContain('state');
    expect(await command(v5, 'self-destruct', '{}', 'c-unk')).toMatchObject({
      ok: false,
      error: { code: 'unknown_command' },
    });
    // Nothing was applied or persisted.
    expect(existsSync(join(stateDir, 'remote-config.yaml'))).toBe(false);
    expect(existsSync(join(stateDir, 'kill-switch.json'))).toBe(false);
  });

  it('applies a live key, reports a restart-required one, and persists both', async () => {
    const r = await command(
      v5,
      'config',
      JSON.stringify({ config: { fleet: { healthIntervalS: 7, topicPrefix: 'vt2' } } }),
      'c-cfg',
    );
    expect(r).toMatchObject({
      ok: true,
      result: { applied: ['fleet.healthIntervalS'], restart_required: ['fleet.topicPrefix'] },
    });
    const persisted = JSON.parse(readFileSync(join(stateDir, 'remote-config.yaml'), 'utf8'));
    expect(persisted).toMatchObject({ fleet: { healthIntervalS: 7, topicPrefix: 'vt2' } });
    const reported = seen.filter((m) => m.topic.endsWith('/config/reported')).at(-1);
    expect(JSON.parse(reported?.payload ?? '{}')).toMatchObject({
      config: { fleet: { healthIntervalS: 7 } },
      restartRequired: ['fleet.topicPrefix'],
    });
  });

  it('applies a retained config/desired and answers on config/reported', async () => {
    const before = seen.length;
    v5.publish(
      `voiceterm/${ID}/config/desired`,
      JSON.stringify({ transaction: 'd1', log: { statusIntervalS: 20 } }),
      { qos: 1, retain: true },
    );
    const deadline = Date.now() + scaled(10_000);
    let reported: Record<string, unknown> | undefined;
    while (!reported && Date.now() < deadline) {
      const m = seen
        .slice(before)
        .find((x) => x.topic.endsWith('/config/reported') && x.payload.includes('"d1"'));
      if (m) reported = JSON.parse(m.payload);
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(reported).toMatchObject({
      config: { log: { statusIntervalS: 20 } },
      lastChange: { ok: true, transaction: 'd1' },
    });
    v5.publish(`voiceterm/${ID}/config/desired`, '', { qos: 1, retain: true }); // clear the retained shadow
  });

  it('persists the kill switch and hand-off mode', async () => {
    expect(await command(v5, 'kill-switch', '{"state":"on","reason":"test"}', 'c-on')).toMatchObject({
      ok: true,
    });
    expect(JSON.parse(readFileSync(join(stateDir, 'kill-switch.json'), 'utf8'))).toMatchObject({
      on: true,
      reason: 'test',
    });
    expect(await command(v5, 'handoff-mode', '{"mode":"always"}', 'c-ho')).toMatchObject({ ok: true });
    expect(JSON.parse(readFileSync(join(stateDir, 'handoff-mode.json'), 'utf8'))).toMatchObject({
      mode: 'always',
    });
  });

  it('returns a bounded, redacted diagnostics bundle', async () => {
    const r = await command(v5, 'diagnostics', '{}', 'c-diag');
    expect(r.ok).toBe(true);
    const result = r.result as Record<string, unknown>;
    expect(result.deviceId).toBe(ID);
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThanOrEqual(256 * 1024);
    expect(JSON.stringify(result)).not.toMatch(CARD);
  });

  it('never lets a card number out unredacted: payloads and files', async () => {
    const synthetic = seen.filter((m) => m.payload.includes('"synthetic"'));
    expect(synthetic.length).toBeGreaterThan(5);
    expect(synthetic[0].payload).toContain('[card]');
    for (const m of seen) expect(m.payload).not.toMatch(CARD);
    const files = filesUnder(stateDir);
    expect(files.some((f) => f.includes('seg-'))).toBe(true);
    for (const f of files) expect(readFileSync(f, 'utf8')).not.toMatch(CARD);
  });

  it('restarts on command (clean stop, exit 75 for systemd to restart)', async () => {
    const r = await command(v5, 'restart', '{"force":true}', 'c-rs');
    expect(r).toMatchObject({ ok: true, result: { restarting: true } });
    const exit = await Promise.race([
      device.exited,
      new Promise<{ code: number | null }>((r) => setTimeout(() => r({ code: null }), scaled(15_000))),
    ]);
    if (exit.code === null)
      console.error(
        device.logs
          .slice(-15)
          .map((l) => JSON.stringify(l))
          .join('\n'),
      );
    expect(exit.code).toBe(75); // EX_TEMPFAIL: systemd's Restart=on-failure starts it again
    const last = seen.filter((m) => m.topic.endsWith('/status')).at(-1);
    expect(JSON.parse(last?.payload ?? '{}').state).toBe('offline');
  });
});
