/**
 * The session keeper against the loopback double: backoff with jitter while the service refuses
 * connections (never a tight loop), reconnect after expiry, and the conversation component staying
 * off the network with `cloud.provider: none`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GptLiveProvider } from '../../src/cloud/gpt-live/adapter.js';
import { LoopbackCloud } from '../../src/cloud/loopback/server.js';
import { OpenAIRealtimeProvider } from '../../src/cloud/openai-realtime/adapter.js';
import type { RealtimeProvider } from '../../src/cloud/provider.js';
import { type KeeperEvent, SessionKeeper } from '../../src/cloud/session-keeper.js';
import { configSchema } from '../../src/config/schema.js';
import { ConversationComponent } from '../../src/conversation/component.js';
import { LinkHealth } from '../../src/offline/link-health.js';
import { providerEventToSignals } from '../../src/offline/provider-watch.js';

let cloud: LoopbackCloud;
let baseUrl: string;
beforeAll(async () => {
  cloud = new LoopbackCloud({ apiKey: 'k' });
  baseUrl = await cloud.start();
});
afterAll(async () => {
  await cloud.stop();
});

async function until(cond: () => boolean, ms = 8000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const realtimeAt = (url: string, extra: { pingIntervalMs?: number; deadAfterMs?: number } = {}) =>
  new OpenAIRealtimeProvider({
    baseUrl: url,
    auth: 'bearer',
    apiKey: 'k',
    model: 'gpt-realtime',
    voice: 'marin',
    ...extra,
  });

const keeperFor = (create: () => RealtimeProvider, maxBackoffMs = 200) =>
  new SessionKeeper({
    create,
    instructions: 'x',
    tools: [],
    backoff: { initialMs: 50, maxMs: maxBackoffMs },
    capMs: 3_600_000,
    rotateMarginMs: 60_000,
    hardMarginMs: 1000,
    historyLines: 5,
  });

describe('SessionKeeper', () => {
  it('backs off exponentially while refused, then connects; reconnects after session expiry', async () => {
    const events: KeeperEvent[] = [];
    const keeper = keeperFor(() => realtimeAt(baseUrl), 400);
    keeper.on((e) => events.push(e));
    const attemptsBefore = cloud.connectAttempts.length;
    cloud.refuseNext = 4;
    keeper.start();
    try {
      await until(() => keeper.current !== undefined);
      const attempts = cloud.connectAttempts.slice(attemptsBefore);
      expect(attempts).toHaveLength(5);
      const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
      // Delays drawn from [c/2·…, c] with c = 50, 100, 200, 400: growing, never a tight loop.
      expect(gaps[0]).toBeGreaterThanOrEqual(30);
      expect(gaps[3]).toBeGreaterThanOrEqual(190);
      expect(gaps[3]).toBeGreaterThan(gaps[0]);
      expect(keeper.stats.failures).toBe(4);

      const gen = keeper.currentGeneration;
      const reconnects = keeper.stats.reconnects;
      cloud.expireSessions();
      await until(() => keeper.currentGeneration > gen && keeper.current !== undefined);
      const down = events.find((e) => e.type === 'link' && !e.up);
      expect(down).toMatchObject({ reason: 'expired' });
      expect(keeper.stats.reconnects).toBe(reconnects + 1);
    } finally {
      await keeper.stop();
    }
  });
});

describe('conversation component', () => {
  it('pings find a black-holed link between turns: link health goes offline, the socket is dropped and rebuilt', async () => {
    const hole = new LoopbackCloud({ apiKey: 'k' });
    const url = await hole.start();
    const t0 = performance.now();
    const link = new LinkHealth(
      {
        pongTimeoutMs: 1200,
        silentServerMs: 1500,
        slowResponseMs: 4000,
        slowResponsesOffline: 2,
        reconnectGraceMs: 1000,
        recoverAfterMs: 500,
      },
      t0,
    );
    const events: KeeperEvent[] = [];
    const keeper = keeperFor(() => {
      const p = realtimeAt(url, { pingIntervalMs: 100, deadAfterMs: 1500 });
      p.on((e) => providerEventToSignals(e, link, performance.now()));
      return p;
    });
    keeper.on((e) => events.push(e));
    keeper.start();
    try {
      await until(() => keeper.current !== undefined);
      await until(() => events.some((e) => e.type === 'keepalive' && e.signal === 'pong'));
      await until(() => link.evaluate(performance.now()).state === 'online');
      // The network goes dark: nothing closes, no event is due — only the pings can tell.
      hole.goSilent(true);
      const dark = performance.now();
      await until(() => link.evaluate(performance.now()).state === 'offline', 5000);
      const noticedMs = performance.now() - dark;
      expect(link.evaluate(performance.now()).reason).toMatch(/no pong for \d+ ms/);
      expect(noticedMs).toBeGreaterThanOrEqual(1200);
      await until(() => events.some((e) => e.type === 'closed'), 5000);
      const closed = events.find((e) => e.type === 'closed');
      expect(closed).toMatchObject({ reason: 'dropped', detail: expect.stringMatching(/no pong for/) });
      // The service answers again: a fresh session, pongs flow, health recovers.
      hole.goSilent(false);
      await until(() => events.filter((e) => e.type === 'link' && e.up).length >= 2, 8000);
      await until(() => link.evaluate(performance.now()).state === 'online', 5000);
      expect(hole.sessions.length).toBeGreaterThanOrEqual(2);
    } finally {
      await keeper.stop();
      await hole.stop();
    }
  });

  it('lines the model never heard (offline flow) reach the open session at once, and later sessions as history', async () => {
    const offlineLines = [
      { role: 'user' as const, text: 'two cheeseburgers please' },
      { role: 'agent' as const, text: 'Two cheeseburgers. Anything else?' },
    ];
    const rt = keeperFor(() => realtimeAt(baseUrl));
    const live = keeperFor(
      () =>
        new GptLiveProvider({
          baseUrl,
          auth: 'bearer',
          apiKey: 'k',
          voice: 'marin',
          model: 'gpt-live-1',
          rate: 16000,
        }),
    );
    rt.start();
    live.start();
    try {
      await until(() => rt.current !== undefined && live.current !== undefined);
      const rtSession = cloud.sessions.filter((s) => s.api === 'realtime').at(-1)!.id;
      const liveSession = cloud.sessions.filter((s) => s.api === 'live').at(-1)!.id;
      rt.carryOver(offlineLines);
      live.carryOver(offlineLines);
      await until(() => cloud.sent('conversation.item.create', rtSession).length >= 2);
      const items = cloud.sent('conversation.item.create', rtSession).map((e) => e.body.item);
      expect(items).toEqual([
        {
          type: 'message',
          role: 'user',
          content: [{ type: 'input_text', text: 'two cheeseburgers please' }],
        },
        {
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Two cheeseburgers. Anything else?' }],
        },
      ]);
      await until(() => cloud.sent('session.instructions.append', liveSession).length >= 1);
      const appended = String(cloud.sent('session.instructions.append', liveSession)[0].body.content);
      expect(appended).toContain('Customer: two cheeseburgers please');
      expect(appended).toContain('Terminal: Two cheeseburgers. Anything else?');
      // and the next session starts with them as history
      expect(rt.carriedHistory).toEqual(offlineLines);
    } finally {
      await rt.stop();
      await live.stop();
    }
  });

  it('with cloud.provider none it connects nowhere and reports so', async () => {
    const config = configSchema.parse({});
    expect(config.cloud.provider).toBe('none');
    const before = cloud.connectAttempts.length;
    const c = new ConversationComponent();
    const loops: string[] = [];
    await c.start({
      config,
      logger: { warn() {}, info() {}, error() {} } as never,
      metrics: {} as never,
      bus: { on: () => () => {}, emit() {} } as never,
      lookup: () => undefined,
      every: (name) => {
        loops.push(name);
        return { name, intervalMs: 0, lastTick: 0, stop() {} };
      },
      fail: (err) => {
        throw err;
      },
    });
    expect(c.health()).toMatchObject({ healthy: true, summary: 'cloud off (provider none)' });
    expect(loops).toEqual([]);
    await c.stop();
    expect(cloud.connectAttempts.length).toBe(before);
  });
});
