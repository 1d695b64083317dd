/**
 * The MQTT connection: one mqtt.js client per attempt (reconnectPeriod 0; ReconnectScheduler
 * decides when), last will = retained `offline` status, `online` published retained on every
 * connect, mTLS from PEM files, client id = device id. It knows nothing about queues: the drainer
 * calls `send()` while `online`, and `send()` resolves on PUBACK.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from '../observability/logger.js';
import { ReconnectScheduler } from './reconnect.js';
import type { StatusPayload, TopicNames } from './topics.js';

export type LinkState = 'connecting' | 'online' | 'offline' | 'stopped';

export interface LinkOptions {
  url: string;
  topics: TopicNames;
  keepaliveS: number;
  protocolVersion: 4 | 5;
  username?: string;
  password?: string;
  tls?: { ca?: string; cert?: string; key?: string };
  reconnect: { initialMs: number; maxMs: number };
  /** Fields added to the retained status payload (version, name). */
  statusExtra?: Partial<StatusPayload>;
  log: Logger;
}

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  responseTopic?: string;
  correlationData?: Buffer;
}

export interface SendRequest {
  topic: string;
  payload: string;
  retain: boolean;
  /** MQTT 5 correlation data (base64). */
  corr?: string;
  /** Dedupe id, also sent as an MQTT 5 user property. */
  id?: string;
}

export class FleetLink {
  state: LinkState = 'offline';
  reconnects = 0;
  lastError?: string;
  onOnline: () => void = () => {};
  onOffline: () => void = () => {};
  onMessage: (m: IncomingMessage) => void = () => {};
  private client?: MqttClient;
  private readonly scheduler: ReconnectScheduler;
  private generation = 0;

  constructor(private readonly opts: LinkOptions) {
    this.scheduler = new ReconnectScheduler(opts.reconnect);
  }

  start(): void {
    this.state = 'connecting';
    this.connect();
  }

  /** Publish `offline` ourselves (a clean stop sends no will), then disconnect. */
  async stop(): Promise<void> {
    this.scheduler.cancel();
    const client = this.client;
    this.client = undefined;
    this.generation++;
    const wasOnline = this.state === 'online';
    this.state = 'stopped';
    if (!client) return;
    if (wasOnline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        client.publish(
          this.opts.topics.of('status'),
          this.statusPayload('offline'),
          { qos: 1, retain: true },
          () => {
            clearTimeout(t);
            resolve();
          },
        );
      });
    }
    await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }

  send(req: SendRequest): Promise<void> {
    const client = this.client;
    if (!client || this.state !== 'online') return Promise.reject(new Error('link offline'));
    const properties: IPublishPacket['properties'] = {};
    if (this.opts.protocolVersion === 5) {
      if (req.corr) properties.correlationData = Buffer.from(req.corr, 'base64');
      if (req.id) properties.userProperties = { id: req.id };
    }
    return new Promise((resolve, reject) => {
      client.publish(req.topic, req.payload, { qos: 1, retain: req.retain, properties }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }

  private statusPayload(state: 'online' | 'offline'): string {
    const p: StatusPayload = {
      state,
      ts: new Date().toISOString(),
      deviceId: this.opts.topics.deviceId,
      ...this.opts.statusExtra,
    };
    return JSON.stringify(p);
  }

  private clientOptions(): IClientOptions {
    const o = this.opts;
    const tls = o.tls ?? {};
    const options: IClientOptions = {
      clientId: o.topics.deviceId,
      protocolVersion: o.protocolVersion,
      keepalive: o.keepaliveS,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      clean: true,
      queueQoSZero: false,
      resubscribe: false,
      username: o.username,
      password: o.password,
      will: {
        topic: o.topics.of('status'),
        payload: Buffer.from(this.statusPayload('offline')),
        qos: 1,
        retain: true,
      },
    };
    if (tls.ca) options.ca = readFileSync(tls.ca);
    if (tls.cert) options.cert = readFileSync(tls.cert);
    if (tls.key) options.key = readFileSync(tls.key);
    if (tls.ca || tls.cert) options.rejectUnauthorized = true;
    return options;
  }

  private connect(): void {
    if (this.state === 'stopped') return;
    const generation = ++this.generation;
    let client: MqttClient;
    try {
      client = mqtt.connect(this.opts.url, this.clientOptions());
    } catch (err) {
      this.lastError = (err as Error).message;
      this.opts.log.warn({ err: this.lastError }, 'mqtt connect failed');
      this.retry(generation);
      return;
    }
    this.client = client;
    const current = () => generation === this.generation;
    client.on('connect', () => {
      if (!current()) return;
      this.state = 'online';
      this.scheduler.connected();
      this.opts.log.info({ url: this.opts.url, attempts: this.scheduler.attempts }, 'fleet link online');
      client.publish(this.opts.topics.of('status'), this.statusPayload('online'), { qos: 1, retain: true });
      client.subscribe([this.opts.topics.commandFilter, this.opts.topics.configDesired], { qos: 1 });
      this.onOnline();
    });
    client.on('message', (topic, payload, packet) => {
      if (!current()) return;
      this.onMessage({
        topic,
        payload,
        responseTopic: packet.properties?.responseTopic,
        correlationData: packet.properties?.correlationData,
      });
    });
    client.on('error', (err) => {
      if (!current()) return;
      this.lastError = err.message;
      this.opts.log.warn({ err: err.message }, 'mqtt error');
    });
    client.on('close', () => {
      if (!current()) return;
      const was = this.state;
      this.state = 'offline';
      if (was === 'online') {
        this.opts.log.warn('fleet link lost');
        this.onOffline();
      }
      client.removeAllListeners('connect');
      client.end(true);
      this.retry(generation);
    });
  }

  private retry(generation: number): void {
    if (this.state === 'stopped' || generation !== this.generation) return;
    this.reconnects++;
    const delay = this.scheduler.schedule(() => this.connect());
    this.opts.log.debug({ delayMs: delay }, 'fleet link reconnect scheduled');
  }
}
