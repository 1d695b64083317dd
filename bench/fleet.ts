/**
 * `npm run bench -- fleet [--quick]`: no-loss and last-will figures against Debian's mosquitto.
 *
 * The real supervisor (`node dist/src/main.js run`) publishes numbered synthetic events (debug
 * hook) at a steady rate; the broker is stopped for `outage_s`; in the middle of the outage the
 * supervisor is killed with SIGKILL and started again (as systemd would); the broker comes back; a
 * subscriber with a persistent session counts every event by number (lost) and by dedupe id
 * (duplicates). Finally `offline_visible_ms` is the time from another kill -9 to the retained
 * `offline` status at a subscriber (target ≤ 1.5 × keepalive).
 *
 * Full mode: 10-minute outage with the crash at 5 min. --quick: 12 s outage (CI).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { appRoot } from '../src/config/load.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { scaled } from '../test/helpers/time-scale.js';

export interface OutageOptions {
  ratePerS: number;
  steadyS: number;
  outageS: number;
  /** Seconds into the outage when the supervisor is killed and restarted. */
  crashAtS: number;
  afterS: number;
  keepaliveS: number;
  log?: (msg: string) => void;
}

export interface OutageResult {
  events_sent: number;
  /** Events numbered when the broker went down, and when the device was killed inside the outage:
   *  between the two, events were queued with no broker; after the second, by the restarted device. */
  events_before_outage: number;
  events_at_crash: number;
  /** Distinct events received (each counted once). */
  events_received: number;
  /** Deliveries in all, duplicates included (at-least-once over QoS 1 and a crash). */
  deliveries: number;
  lost: number;
  duplicates: number;
  out_of_order: number;
  outage_s: number;
  offline_visible_ms: number;
  /** A subscriber arriving later gets the retained `offline`. */
  offline_retained: boolean;
  /** Offline after SIGSTOP (no FIN: only the keepalive can tell). */
  offline_visible_frozen_ms: number;
  keepalive_s: number;
  queue_bytes_peak: number;
  bytes_per_min_steady: number;
  events_per_s: number;
  drain_s: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Device {
  child: ChildProcess;
  lines: string[];
}

function startDevice(configPath: string, ratePerS: number): Device {
  const main = join(appRoot(), 'dist', 'src', 'main.js');
  const env = {
    ...process.env,
    VOICETERM_DEBUG_HOOKS: '1',
    VOICETERM_FLEET_SYNTHETIC_EVENTS_PER_S: String(ratePerS),
  };
  const child = spawn(process.execPath, [main, 'run', '--config', configPath], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (d: Buffer) => {
    lines.push(...String(d).split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, lines };
}

async function stopDevice(d: Device, signal: NodeJS.Signals): Promise<void> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return;
  const gone = new Promise<void>((r) => d.child.once('exit', () => r()));
  d.child.kill(signal);
  await gone;
}

/** The last synthetic event number the device wrote (0 before the first). */
function syntheticN(stateDir: string): number {
  try {
    return Number(readFileSync(join(stateDir, 'fleet-synthetic-n'), 'utf8')) || 0;
  } catch {
    return 0;
  }
}

function dirBytes(dir: string): number {
  try {
    return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  } catch {
    return 0;
  }
}

/** timeoutMs is stretched by VOICETERM_TEST_TIME_SCALE (the test suite under arm64 emulation). */
async function until(pred: () => boolean, nativeMs: number, what: string): Promise<void> {
  const timeoutMs = scaled(nativeMs);
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

async function retainedStatus(url: string, deviceId: string): Promise<string> {
  const c = mqtt.connect(url, { reconnectPeriod: 0 });
  try {
    await new Promise<void>((r) => c.once('connect', () => r()));
    const got = new Promise<string>((resolve) =>
      c.once('message', (_t, p) => resolve((JSON.parse(String(p)) as { state: string }).state)),
    );
    await c.subscribeAsync(`voiceterm/${deviceId}/status`, { qos: 1 });
    return await Promise.race([got, sleep(3000).then(() => 'none')]);
  } finally {
    c.end(true);
  }
}

export async function outageScenario(o: OutageOptions): Promise<OutageResult> {
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const broker = await startMosquitto({ persistence: true });
  const work = mkdtempSync(join(tmpdir(), 'vt-fleet-bench-'));
  const deviceId = `bench${process.pid}`;
  const stateDir = join(work, 'state');
  const configPath = join(work, 'config.yaml');
  writeFileSync(
    configPath,
    JSON.stringify({
      device: { id: deviceId },
      supervisor: { stateDir },
      // The offline recogniser (pocketsphinx) is not under test, and would outlive a kill -9.
      offline: { enabled: false },
      log: { level: 'warn' },
      fleet: {
        broker: { url: broker.url, keepaliveS: o.keepaliveS },
        reconnect: { initialMs: 200, maxMs: 2000 },
      },
    }),
  );
  const seenIds = new Set<string>();
  const seenN = new Set<number>();
  let received = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let lastN = 0;
  let steadyBytes = 0;
  let counting = false;
  let status = '';
  let statusAt = 0;
  // A persistent session (MQTT 5 needs a session expiry for that): the broker queues what the
  // device drains while this subscriber is still reconnecting, and keeps it across its restart.
  const sub: MqttClient = mqtt.connect(broker.url, {
    clientId: `${deviceId}-sub`,
    clean: false,
    reconnectPeriod: 200,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 3600 },
  });
  sub.on('message', (topic, payload) => {
    if (counting) steadyBytes += topic.length + payload.length;
    if (topic.endsWith('/status')) {
      status = (JSON.parse(String(payload)) as { state: string }).state;
      statusAt = performance.now();
      return;
    }
    if (!topic.endsWith('/events')) return;
    const e = JSON.parse(String(payload)) as { id: string; kind: string; data: { n: number } };
    if (e.kind !== 'synthetic') return;
    received++;
    if (seenIds.has(e.id)) {
      duplicates++;
      return;
    }
    seenIds.add(e.id);
    if (e.data.n <= lastN) outOfOrder++;
    lastN = Math.max(lastN, e.data.n);
    seenN.add(e.data.n);
  });
  await new Promise<void>((r) => sub.once('connect', () => r()));
  await sub.subscribeAsync(`voiceterm/${deviceId}/#`, { qos: 1 });
  const devices: Device[] = [];
  try {
    let dev = startDevice(configPath, o.ratePerS);
    devices.push(dev);
    await until(() => status === 'online', 15_000, 'the device online');
    log(`fleet bench: device online; steady ${o.steadyS} s at ${o.ratePerS} events/s`);
    counting = true;
    await sleep(o.steadyS * 1000);
    counting = false;
    const bytesPerMin = Math.round((steadyBytes / o.steadyS) * 60);

    const queueDir = join(stateDir, 'fleet-queue');
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, dirBytes(queueDir));
    }, 200);
    log(`fleet bench: broker down for ${o.outageS} s, crash at ${o.crashAtS} s`);
    const nAtOutage = syntheticN(stateDir);
    const outageStart = performance.now();
    await broker.stop();
    await sleep(o.crashAtS * 1000);
    await stopDevice(dev, 'SIGKILL');
    const nAtCrash = syntheticN(stateDir);
    dev = startDevice(configPath, o.ratePerS);
    devices.push(dev);
    await sleep(Math.max(0, o.outageS - o.crashAtS) * 1000);
    await broker.start();
    const outageS = (performance.now() - outageStart) / 1000;
    log('fleet bench: broker back');
    const drainStart = performance.now();
    await sleep(o.afterS * 1000);
    clearInterval(sampler);
    await stopDevice(dev, 'SIGTERM');
    const sent = Number(readFileSync(join(stateDir, 'fleet-synthetic-n'), 'utf8'));
    // Whatever the clean stop left queued goes out with the next start (no new events now).
    dev = startDevice(configPath, 0);
    devices.push(dev);
    const complete = () => {
      for (let n = 1; n <= sent; n++) if (!seenN.has(n)) return false;
      return true;
    };
    await until(complete, 60_000, `all ${sent} events`).catch((err) =>
      log(`${err}\n${dev.lines.slice(-30).join('\n')}`),
    );
    const drainS = (performance.now() - drainStart) / 1000;
    await until(() => status === 'online', 30_000, 'online again');

    /** ms from `act` to the retained `offline` at the subscriber; -1 if it never came in time. */
    const offlineAfter = async (what: string, act: () => unknown): Promise<number> => {
      const at = performance.now();
      await act();
      await until(
        () => status === 'offline' && statusAt > at,
        o.keepaliveS * 3000,
        `offline after ${what}`,
      ).catch((err) => log(String(err)));
      return status === 'offline' && statusAt > at ? Math.round(statusAt - at) : -1;
    };

    // Last will: kill -9 → retained offline at the subscriber.
    const offlineMs = await offlineAfter('kill -9', () => stopDevice(dev, 'SIGKILL'));
    const retained = await retainedStatus(broker.url, deviceId);

    // A silent death (power cut, cable): the process frozen with SIGSTOP keeps its socket open,
    // so only the broker's keepalive check (1.5 × keepalive) can notice.
    dev = startDevice(configPath, 0);
    devices.push(dev);
    await until(() => status === 'online', 30_000, 'online for the freeze');
    const frozenMs = await offlineAfter('SIGSTOP', () => {
      dev.child.kill('SIGSTOP');
    });

    let lost = 0;
    const missing: number[] = [];
    for (let n = 1; n <= sent; n++) {
      if (seenN.has(n)) continue;
      lost++;
      if (missing.length < 50) missing.push(n);
    }
    if (lost > 0)
      log(
        `fleet bench: missing ${missing.join(',')} (crash at n=${nAtCrash}, sent ${sent}); queue: ${readdirSync(queueDir).join(' ')}`,
      );
    return {
      events_sent: sent,
      events_before_outage: nAtOutage,
      events_at_crash: nAtCrash,
      events_received: seenN.size,
      deliveries: received,
      lost,
      duplicates,
      out_of_order: outOfOrder,
      outage_s: Math.round(outageS * 10) / 10,
      offline_visible_ms: offlineMs,
      offline_retained: retained === 'offline',
      offline_visible_frozen_ms: frozenMs,
      keepalive_s: o.keepaliveS,
      queue_bytes_peak: peak,
      bytes_per_min_steady: bytesPerMin,
      events_per_s: o.ratePerS,
      drain_s: Math.round(drainS * 10) / 10,
    };
  } catch (err) {
    for (const d of devices) process.stderr.write(`${d.lines.slice(-20).join('\n')}\n`);
    throw err;
  } finally {
    for (const d of devices) await stopDevice(d, 'SIGKILL');
    sub.end(true);
    await broker.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  const opts: OutageOptions = quick
    ? { ratePerS: 20, steadyS: 5, outageS: 12, crashAtS: 6, afterS: 5, keepaliveS: 5 }
    : { ratePerS: 20, steadyS: 60, outageS: 600, crashAtS: 300, afterS: 30, keepaliveS: 10 };
  const result = await outageScenario(opts);
  return { mode: quick ? 'quick' : 'full', ...result };
}
