/**
 * An in-process terminal for the OTA tests: the real Supervisor with the real fleet component
 * (connected to a real mosquitto) and the real update component (talking to the rig's real RAUC
 * over D-Bus). Only the two things a test machine must not do are replaced: rebooting (recorded,
 * then the test "reboots" by stopping this terminal, restarting RAUC as the other slot and
 * starting a fresh terminal on the same state dir) and reading the kernel boot id (a counter the
 * test bumps on each simulated boot).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { FleetComponent } from '../../src/fleet/fleet-component.js';
import type { UpdateStatePayload } from '../../src/fleet/ota/reporter.js';
import { UpdateComponent } from '../../src/fleet/ota/update-component.js';
import type { Component } from '../../src/supervisor/component.js';
import type { Notifier } from '../../src/supervisor/notify/notifier.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { type TestServices, testServices } from './services.js';
import { scaled } from './time-scale.js';

const silent: Notifier = { enabled: false, watchdogMs: undefined, send() {} };

export interface Terminal {
  services: TestServices;
  sup: Supervisor;
  /** Resolves when the update component asks for a reboot. */
  rebootRequested: Promise<void>;
  rebootCount: () => number;
  stop(): Promise<void>;
}

export async function startTerminal(o: {
  id: string;
  brokerUrl: string;
  stateDir: string;
  busAddress: string;
  raucConf: string;
  bootId: string;
  update?: Record<string, unknown>;
  extra?: Component[];
  /** The first N reboot requests fail (as `systemctl reboot` does without the polkit rule). */
  failReboots?: number;
}): Promise<Terminal> {
  const services = testServices({
    device: { id: o.id },
    supervisor: { stateDir: o.stateDir, healthIntervalMs: 100 },
    fleet: { broker: { url: o.brokerUrl, keepaliveS: 5 } },
    update: { dbusAddress: o.busAddress, raucConf: o.raucConf, progressIntervalMs: 200, ...o.update },
  });
  let reboots = 0;
  let onReboot: () => void = () => {};
  const rebootRequested = new Promise<void>((r) => {
    onReboot = r;
  });
  const sup = new Supervisor({ ...services, notifier: silent, version: 'ota-test' });
  sup.add(new FleetComponent({}));
  for (const c of o.extra ?? []) sup.add(c);
  sup.add(
    new UpdateComponent({
      reboot: async () => {
        reboots++;
        if (reboots <= (o.failReboots ?? 0)) throw new Error('Interactive authentication required.');
        onReboot();
      },
      bootId: async () => o.bootId,
    }),
  );
  await sup.start();
  // Commands sent before the device subscribed would be dropped by the broker: wait for the link.
  const end = Date.now() + scaled(20_000);
  while (sup.health().fleet?.details?.link !== 'online') {
    if (Date.now() > end) throw new Error(`fleet link not online: ${JSON.stringify(sup.health().fleet)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, scaled(200))); // the command subscription follows `online`
  return {
    services,
    sup,
    rebootRequested,
    rebootCount: () => reboots,
    stop: async () => void (await sup.stop()),
  };
}

/** An operator's MQTT client: sends commands, records everything under the device's topics. */
export interface Operator {
  client: MqttClient;
  /** Every message on `<prefix>/<id>/update`, with its retain flag. */
  updates: Array<{ payload: UpdateStatePayload; retain: boolean }>;
  command(name: string, args: Record<string, unknown>, transaction: string): Promise<Record<string, unknown>>;
  /** Waits for an update message matching pred (from the index `since` on). */
  waitUpdate(
    pred: (p: UpdateStatePayload) => boolean,
    timeoutMs?: number,
    since?: number,
  ): Promise<UpdateStatePayload>;
  close(): void;
}

/** What a dashboard subscribing now gets: the retained state on `<prefix>/<id>/update`. */
export async function retainedUpdate(url: string, id: string): Promise<UpdateStatePayload | undefined> {
  const client = mqtt.connect(url, { protocolVersion: 4, clientId: `${id}-late-${Date.now()}` });
  try {
    await new Promise<void>((r) => client.once('connect', () => r()));
    const got = new Promise<UpdateStatePayload | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), scaled(2000));
      client.on('message', (_t, p, packet) => {
        if (!packet.retain) return;
        clearTimeout(t);
        resolve(JSON.parse(String(p)));
      });
    });
    await client.subscribeAsync(`voiceterm/${id}/update`, { qos: 1 });
    return await got;
  } finally {
    client.end(true);
  }
}

export async function connectOperator(url: string, id: string): Promise<Operator> {
  const client = mqtt.connect(url, { protocolVersion: 4, clientId: `${id}-operator` });
  await new Promise<void>((r) => client.once('connect', () => r()));
  const base = `voiceterm/${id}`;
  await client.subscribeAsync([`${base}/update`, `${base}/cmd/+/response`], { qos: 1 });
  const updates: Operator['updates'] = [];
  const responses: Array<Record<string, unknown>> = [];
  client.on('message', (topic, p, packet) => {
    const body = JSON.parse(String(p));
    if (topic === `${base}/update`) updates.push({ payload: body, retain: packet.retain });
    else responses.push(body);
  });
  // nativeMs is stretched by VOICETERM_TEST_TIME_SCALE (arm64 emulation)
  const poll = async <T>(find: () => T | undefined, nativeMs: number, what: string): Promise<T> => {
    const timeoutMs = scaled(nativeMs);
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = find();
      if (hit !== undefined) return hit;
      if (Date.now() > end) {
        throw new Error(
          `${what} not seen in ${timeoutMs} ms; updates so far:\n${updates.map((u) => JSON.stringify(u)).join('\n')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return {
    client,
    updates,
    command(name, args, transaction) {
      client.publish(`${base}/cmd/${name}`, JSON.stringify({ ...args, transaction }), { qos: 1 });
      return poll(
        () => responses.find((r) => r.transaction === transaction),
        15_000,
        `response to ${transaction}`,
      );
    },
    waitUpdate(pred, timeoutMs = 30_000, since = 0) {
      return poll(
        () => updates.slice(since).find((u) => pred(u.payload))?.payload,
        timeoutMs,
        'update message',
      );
    },
    close: () => void client.end(true),
  };
}
