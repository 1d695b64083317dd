/**
 * mTLS against mosquitto with `require_certificate true`: the CA, server and client certificates
 * are generated here with openssl. The supervisor connects with its client cert; a client without
 * a certificate, or with one from another CA, is refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { scaled } from '../helpers/time-scale.js';

const ID = `mtls${process.pid}`;
let broker: Mosquitto;
let work: string;
let device: RunningCli | undefined;

/** Resolves 'connected' or the refusal's message. */
async function tryConnect(opts: mqtt.IClientOptions): Promise<string> {
  const c = mqtt.connect(`mqtts://localhost:${broker.tlsPort}`, {
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...opts,
  });
  const outcome = await new Promise<string>((resolve) => {
    c.once('connect', () => resolve('connected'));
    c.once('error', (err) => resolve(`refused: ${err.message}`));
    c.once('close', () => resolve('refused: closed'));
  });
  c.end(true);
  return outcome;
}

beforeAll(async () => {
  broker = await startMosquitto({ tls: true, clientCn: ID });
  work = mkdtempSync(join(tmpdir(), 'vt-fleet-mtls-'));
}, scaled(60_000));

afterAll(async () => {
  if (device && device.child.exitCode === null) {
    device.child.kill('SIGKILL');
    await device.exited;
  }
  await broker?.dispose();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('fleet mTLS', () => {
  it('refuses a client without a certificate or with one from another CA', async () => {
    const certs = broker.certs!;
    const ca = readFileSync(certs.ca);
    expect(await tryConnect({ ca })).toMatch(/^refused/);
    expect(
      await tryConnect({ ca, cert: readFileSync(certs.rogueCert), key: readFileSync(certs.rogueKey) }),
    ).toMatch(/^refused/);
    expect(
      await tryConnect({ ca, cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) }),
    ).toBe('connected');
  });

  it('connects the supervisor with the configured client certificate', {
    timeout: scaled(30_000),
  }, async () => {
    const certs = broker.certs!;
    const configPath = join(work, 'config.yaml');
    writeFileSync(
      configPath,
      JSON.stringify({
        device: { id: ID },
        supervisor: { stateDir: join(work, 'state') },
        offline: { enabled: false },
        fleet: {
          broker: {
            url: `mqtts://localhost:${broker.tlsPort}`,
            tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
          },
        },
      }),
    );
    const watcher = mqtt.connect(broker.url, { reconnectPeriod: 0 });
    await new Promise<void>((r) => watcher.once('connect', () => r()));
    await watcher.subscribeAsync(`voiceterm/${ID}/status`, { qos: 1 });
    // The first `online` (under arm64 emulation a slow first connection may publish `offline` first)
    const online = new Promise<string>((resolve) =>
      watcher.on('message', (_t, p) => String(p).includes('"online"') && resolve(String(p))),
    );
    device = startCli(['run', '--config', configPath]);
    const status = await Promise.race([
      online,
      new Promise<string>((r) => setTimeout(() => r('timeout'), scaled(15_000))),
    ]);
    watcher.end(true);
    expect(JSON.parse(status)).toMatchObject({ state: 'online', deviceId: ID });
  });
});
