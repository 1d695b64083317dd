/**
 * The development default: no broker configured → `voiceterm run` starts aedes on 127.0.0.1 and a
 * person watches with mosquitto_sub. With the port already taken it logs, degrades and connects to
 * whatever listens there (here: a real mosquitto) instead of crashing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { freePort, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { scaled } from '../helpers/time-scale.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function device(port: number, id: string): RunningCli {
  const work = mkdtempSync(join(tmpdir(), 'vt-fleet-emb-'));
  const configPath = join(work, 'config.yaml');
  writeFileSync(
    configPath,
    JSON.stringify({
      device: { id },
      supervisor: { stateDir: join(work, 'state') },
      offline: { enabled: false },
      fleet: { embeddedBrokerPort: port },
    }),
  );
  const d = startCli(['run', '--config', configPath]);
  cleanup.push(async () => {
    if (d.child.exitCode === null) {
      d.child.kill('SIGTERM');
      await d.exited;
    }
    rmSync(work, { recursive: true, force: true });
  });
  return d;
}

/** mosquitto_sub -C 1: the first message on the topic (the retained status). */
async function firstMessage(port: number, topic: string): Promise<string> {
  const waitS = String(Math.ceil(scaled(15_000) / 1000)); // -W: give up after this many seconds
  const sub = spawn('mosquitto_sub', ['-p', String(port), '-t', topic, '-C', '1', '-W', waitS, '-v']);
  let out = '';
  sub.stdout.on('data', (d) => {
    out += String(d);
  });
  await new Promise((r) => sub.once('exit', r));
  return out.trim();
}

describe('embedded broker', () => {
  it('serves mosquitto_sub on 127.0.0.1 when no broker is configured', {
    timeout: scaled(30_000),
  }, async () => {
    const port = await freePort();
    const d = device(port, 'emb1');
    await d.waitForLog((r) => typeof r.msg === 'string' && r.msg.startsWith('embedded MQTT broker'), 15_000);
    const line = await firstMessage(port, 'voiceterm/emb1/status');
    expect(line.startsWith('voiceterm/emb1/status ')).toBe(true);
    expect(JSON.parse(line.slice('voiceterm/emb1/status '.length))).toMatchObject({ state: 'online' });
  });

  it('degrades without crashing when the port is taken', { timeout: scaled(30_000) }, async () => {
    const broker: Mosquitto = await startMosquitto();
    cleanup.push(() => broker.dispose());
    const d = device(broker.port, 'emb2');
    await d.waitForLog(
      (r) => r.msg === 'embedded broker not started; connecting to whatever listens there',
      15_000,
    );
    const line = await firstMessage(broker.port, 'voiceterm/emb2/status');
    expect(line).toContain('"online"');
    expect(d.child.exitCode).toBeNull();
  });
});
