/**
 * The fleet's topic → payload map (zigbee2mqtt's lib/types/api.ts pattern): one interface says
 * what every topic under `<prefix>/<deviceId>/` carries, so publishers are type-checked and the
 * README table has one place to mirror.
 *
 * Other subsystems add their topics by augmenting the interface from their own folder:
 *
 *   declare module '../topics.js' {
 *     interface FleetTopics { update: UpdateProgressPayload }
 *   }
 *
 * and then `publisher.publish('update', payload)`.
 */

export type OnlineState = 'online' | 'offline';

export interface StatusPayload {
  state: OnlineState;
  /** ISO time the state was set; the last will carries the time of the connect it belongs to. */
  ts: string;
  deviceId: string;
  version?: string;
  name?: string;
}

export interface FleetEventPayload {
  /** Dedupe id: unique per device and message, stable across resends. */
  id: string;
  /** What happened: `session.summary`, `interruption`, `tool.audit`, `handoff`, `component.state`, … */
  kind: string;
  ts: string;
  /** Kind-specific data, already redacted. */
  data: Record<string, unknown>;
}

export interface HealthPayload {
  id: string;
  ts: string;
  uptimeS: number;
  version: string;
  bootSlot?: string;
  system: Record<string, number | undefined>;
  disk?: { path: string; freeMb: number; totalMb: number };
  components: Record<string, { state: string; healthy: boolean; summary?: string; restarts?: number }>;
  metrics: {
    counters: Record<string, number>;
    gauges: Record<string, number>;
    histograms: Record<string, { count: number; p50: number; p95: number; max: number }>;
  };
  queue: { depth: number; bytes: number; dropped: number };
  link: { state: string; reconnects: number };
  killSwitch: boolean;
  handoffMode: string;
}

export interface CommandResponsePayload {
  /** Echo of the request's `transaction` field (MQTT 3.1.1 correlation); MQTT 5 also echoes correlation data. */
  transaction?: string;
  command: string;
  ok: boolean;
  result?: unknown;
  error?: { code: 'bad_json' | 'unknown_command' | 'invalid' | 'busy' | 'failed'; message: string };
}

export interface ConfigReportedPayload {
  ts: string;
  /** The effective config with secrets masked. */
  config: Record<string, unknown>;
  /** Keys changed remotely that wait for a restart. */
  restartRequired: string[];
  /** The answer to the last `config/desired` message, when there was one. */
  lastChange?: unknown;
}

/** Topic suffix → payload. Keys are relative to `<prefix>/<deviceId>/`. */
export interface FleetTopics {
  status: StatusPayload;
  health: HealthPayload;
  events: FleetEventPayload;
  'config/reported': ConfigReportedPayload;
}

export type FleetTopic = keyof FleetTopics;

/** Build absolute topics for one device. */
export class TopicNames {
  readonly base: string;

  constructor(
    prefix: string,
    readonly deviceId: string,
  ) {
    this.base = `${prefix}/${deviceId}`;
  }

  of(suffix: string): string {
    return `${this.base}/${suffix}`;
  }

  /** Subscription for incoming commands: `cmd/<name>` only (responses live one level deeper). */
  get commandFilter(): string {
    return `${this.base}/cmd/+`;
  }

  get configDesired(): string {
    return `${this.base}/config/desired`;
  }

  /** The command name of an incoming topic, or undefined when the topic is not this device's command. */
  commandName(topic: string): string | undefined {
    const head = `${this.base}/cmd/`;
    if (!topic.startsWith(head)) return undefined;
    const name = topic.slice(head.length);
    return name && !name.includes('/') ? name : undefined;
  }

  responseTopic(command: string): string {
    return `${this.base}/cmd/${command}/response`;
  }
}
