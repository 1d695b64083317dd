/**
 * The typed way to send something to the fleet: `publisher.publish('health', snapshot)`. Every
 * payload is redacted, given its dedupe `id` and appended to the durable queue; the drainer sends
 * it when the link is up. Per-topic defaults (priority class, retain, coalescing key) live in
 * TOPIC_DEFAULTS; a topic added by augmenting `FleetTopics` gets `event` class unless it says more
 * with `publisher.defineTopic()`.
 */
import type { Redactor } from '../observability/redaction.js';
import type { DurableQueue, QueuedMessage } from './queue/durable-queue.js';
import type { PriorityClass } from './queue/policy.js';
import type { CommandResponsePayload, FleetTopic, FleetTopics, TopicNames } from './topics.js';

export interface TopicOptions {
  cls: PriorityClass;
  retain?: boolean;
  /** Coalesce: an unsent older message with this key is replaced by the newer one. */
  key?: string;
}

/** The payload as a publisher gives it: the queue adds `id`. */
export type Outgoing<T> = T extends { id: string } ? Omit<T, 'id'> : T;

const TOPIC_DEFAULTS: Record<string, TopicOptions> = {
  health: { cls: 'health', retain: true, key: 'health' },
  events: { cls: 'event' },
  'config/reported': { cls: 'response', retain: true, key: 'config/reported' },
};

export class FleetPublisher {
  private readonly defaults = new Map<string, TopicOptions>(Object.entries(TOPIC_DEFAULTS));
  private queue?: DurableQueue;
  /** Called after each enqueue so the drainer can send at once. */
  onEnqueue: () => void = () => {};

  constructor(
    private readonly topics: TopicNames,
    private readonly redactor: Redactor,
  ) {}

  /** The component attaches the queue in start(); publishing before that throws. */
  attach(queue: DurableQueue | undefined): void {
    this.queue = queue;
  }

  get ready(): boolean {
    return this.queue !== undefined;
  }

  defineTopic(topic: FleetTopic, opts: TopicOptions): void {
    this.defaults.set(topic, opts);
  }

  publish<T extends FleetTopic>(
    topic: T,
    payload: Outgoing<FleetTopics[T]>,
    opts?: Partial<TopicOptions>,
  ): QueuedMessage | undefined {
    const o = { ...(this.defaults.get(topic) ?? { cls: 'event' as const }), ...opts };
    return this.enqueue(this.topics.of(topic), payload as object, o);
  }

  /** A fleet event (`events` topic). `audit` class for tool audit summaries: kept longest. */
  event(
    kind: string,
    data: Record<string, unknown>,
    cls: 'event' | 'audit' = 'event',
  ): QueuedMessage | undefined {
    return this.publish('events', { kind, ts: new Date().toISOString(), data }, { cls });
  }

  /** A command response on an explicit topic, carrying MQTT 5 correlation data when given. */
  respond(
    topic: string,
    response: CommandResponsePayload,
    correlationData?: Buffer,
  ): QueuedMessage | undefined {
    return this.enqueue(topic, response, { cls: 'response' }, correlationData?.toString('base64'));
  }

  private enqueue(topic: string, payload: object, o: TopicOptions, corr?: string): QueuedMessage | undefined {
    const queue = this.queue;
    if (!queue) throw new Error('fleet publisher used before the fleet component started');
    const clean = this.redactor.redactDeep(payload);
    const msg = queue.enqueue({
      cls: o.cls,
      topic,
      retain: o.retain,
      key: o.key,
      corr,
      render: (id) => JSON.stringify({ id, ...clean }),
    });
    this.onEnqueue();
    return msg;
  }
}
