/**
 * A whole drive-thru conversation, per provider: room simulator (acoustic double) → the real
 * front-end → duplex engine → real adapter over a socket → loopback cloud double (cloud double).
 * A confirmed tool call and a denied one (both in the hash-chained audit log), a session rotation
 * mid-conversation without stale audio, a dropped link recovered with backoff, malformed events.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationHarness } from '../../bench/conversation/harness.js';
import { speak } from '../../bench/corpus/speech.js';
import { FrontendPipeline } from '../../src/frontend/pipeline.js';
import { readAuditFiles, verifyAuditChain } from '../../src/tools/audit-log.js';
import { scaled, TIME_SCALE } from '../helpers/time-scale.js';

let dir: string;
const frontend = new FrontendPipeline();
const voice = (text: string) => speak(text, 'en-us+m3').map((v) => v * 0.6);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vt-conv-e2e-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(['openai-realtime', 'gpt-live'] as const)('a drive-thru conversation on %s', (provider) => {
  it('orders, denies, confirms by voice, rotates, recovers from a drop, survives malformed events', {
    timeout: scaled(120_000),
  }, async () => {
    frontend.reset();
    const auditDir = join(dir, provider);
    const h = new ConversationHarness({
      provider,
      frontend,
      // The simulated world runs at 3× real time natively; under arm64 emulation it slows down by the
      // time scale (so the emulated front-end keeps up), and so does everything timed by the wall clock.
      speedup: 3 / TIME_SCALE,
      auditDir,
      room: {
        rate: 16000,
        seed: 3,
        echoPath: { rt60: 0.3, delayMs: 10, gainDb: -6 },
        noise: { type: 'pink', levelDbfs: -60 },
      },
      // The tool confirmation's timer is wall clock too: 20 s is 60 s of room time at 3×; under
      // emulation it stretches with the world, or it expires before the customer's yes is spoken.
      confirmTimeoutMs: scaled(20_000),
      // Short "cap" so a rotation falls in the middle of this conversation (wall clock).
      capMs: scaled(16_000),
      rotateMarginMs: scaled(12_000),
      maxSeconds: 300,
    });
    const { cloud } = h;
    cloud.script.userTranscripts.push(
      'two cheeseburgers please',
      'can I get a discount',
      'I want to talk to a person',
      'yes please',
    );
    cloud.script.replies.push(
      {
        toolCall: {
          name: 'add_item',
          arguments: { item: 'cheeseburger', quantity: 2, note: 'pay with card 4111 1111 1111 1111' },
        },
      },
      { text: 'Two cheeseburgers. Anything else?' },
      { toolCall: { name: 'apply_discount', arguments: { percent: 50 } } },
      { text: 'Sorry, I cannot give discounts.' },
      { toolCall: { name: 'hand_off_to_crew', arguments: { reason: 'wants a person' } } },
      { text: 'Would you like me to get a crew member for you?' },
      { text: 'A crew member is on the way.' },
    );
    cloud.script.defaultReply = { text: 'Okay.' };
    await h.start();
    const firstAudios = () => h.traces.filter((t) => t.type === 'agent.first_audio');
    const turnDone = async () => {
      const before = h.traces.filter((t) => t.type === 'agent.done').length;
      expect(
        await h.until(() => h.traces.filter((t) => t.type === 'agent.done').length > before, 20_000),
      ).toBe(true);
      await h.run(700);
    };
    try {
      // 1. An allowed tool, then the agent speaks.
      h.say(voice('I would like two cheeseburgers please.'));
      await turnDone();
      expect(h.tools.order?.lines).toEqual([{ item: 'cheeseburger', quantity: 2 }]);

      // Malformed and unknown events from the server are skipped.
      cloud.sendRaw('{this is not json');
      cloud.sendRaw(JSON.stringify({ type: 'brand.new.event', x: 1 }));

      // 2. A denied tool.
      h.say(voice('Can I get a discount?'));
      await turnDone();

      // 3. A tool that needs a spoken yes: the agent asks, the customer answers, then it runs.
      h.say(voice('I want to talk to a person.'));
      expect(await h.until(() => h.tools.runner.awaitingConfirmation, 15_000)).toBe(true);
      expect(h.tools.order?.handoffs).toEqual([]);
      await turnDone(); // the question is spoken
      h.say(voice('Yes please.'));
      expect(await h.until(() => (h.tools.order?.handoffs.length ?? 0) === 1, 15_000)).toBe(true);
      await turnDone();
      expect(h.session.stats.ignoredEvents).toBeGreaterThanOrEqual(2);

      // 4. Rotation happened at a turn boundary (cap 16 s wall, margin 12 s), with history carried.
      expect(await h.until(() => h.session.keeper.stats.rotations >= 1, 30_000)).toBe(true);
      const sessions = cloud.sessions;
      expect(sessions.length).toBeGreaterThanOrEqual(2);
      const second = sessions[1].id;
      if (provider === 'openai-realtime') {
        const carried = cloud
          .sent('conversation.item.create', second)
          .filter((e) => (e.body.item as { type: string }).type === 'message');
        expect(carried.length).toBeGreaterThan(0);
      } else {
        const start = cloud.sent('session.start', second)[0].body.session as { input?: unknown[] };
        expect(start.input?.length).toBeGreaterThan(0);
      }

      // 5. The link drops in the middle of a reply: the loudspeaker goes quiet, the keeper
      //    reconnects with backoff, and nothing of the old session plays afterwards.
      const gensBefore = h.session.keeper.currentGeneration;
      cloud.script.replies.push({
        text: 'Here is a long answer that will be cut by a network failure in the middle of it.',
      });
      h.say(voice('What drinks do you have?'));
      const n = firstAudios().length;
      expect(await h.until(() => firstAudios().length > n, 15_000)).toBe(true);
      await h.run(400);
      cloud.dropConnections();
      const dropSample = h.sample;
      await h.run(300);
      const F = 160;
      for (let f = Math.floor(dropSample / F) + 3; f < h.frames; f++) expect(h.audible(f)).toBe(false);
      expect(
        await h.until(
          () => h.session.keeper.currentGeneration > gensBefore && h.session.keeper.current !== undefined,
          15_000,
        ),
      ).toBe(true);
      expect(h.session.keeper.stats.reconnects).toBeGreaterThanOrEqual(1);
      const gen = h.session.keeper.currentGeneration;
      h.say(voice('Hello, are you there?'));
      expect(await h.until(() => firstAudios().length > n + 1, 15_000)).toBe(true);
      for (const t of firstAudios().slice(n + 1))
        expect((t as { responseId: string }).responseId.startsWith(`${gen}:`)).toBe(true);
    } finally {
      await h.stop();
    }

    // The audit log: every call, chained, arguments redacted.
    const files = await readAuditFiles(auditDir, 3);
    expect(verifyAuditChain(files)).toMatchObject({ ok: true });
    const entries = files
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries.map((e) => [e.tool, e.decision, e.confirmation ?? null, e.outcome])).toEqual([
      ['add_item', 'allow', null, 'ok'],
      ['apply_discount', 'deny', null, 'denied'],
      ['hand_off_to_crew', 'confirm', 'yes', 'ok'],
    ]);
    expect(entries[0].args.note).toBe('pay with card [card]');
  });
});

describe('barge-in through the real front-end (Realtime)', () => {
  it('pauses on the level onset before the confirmed decision, stops, truncates to what was played', {
    timeout: scaled(60_000),
  }, async () => {
    frontend.reset();
    const h = new ConversationHarness({
      provider: 'openai-realtime',
      frontend,
      speedup: 3 / TIME_SCALE, // like the conversation above: slower under arm64 emulation
      auditDir: join(dir, 'bargein'),
      room: {
        rate: 16000,
        seed: 5,
        echoPath: { rt60: 0.3, delayMs: 10, gainDb: -6 },
        noise: { type: 'pink', levelDbfs: -60 },
      },
      maxSeconds: 120,
    });
    const long =
      'Your appointment is confirmed for Tuesday at half past ten in the morning, and the parking garage is open from six until midnight.';
    h.cloud.script.replies.push({ text: long }, { text: long }, { text: 'Okay.' });
    await h.start();
    const since = (from: number, type: string) => h.traces.slice(from).filter((t) => t.type === type);
    try {
      // A first reply plays through: the canceller converges (a device keeps it across calls).
      h.say(voice('Is my appointment confirmed?'));
      expect(await h.until(() => since(0, 'agent.done').length > 0, 30_000)).toBe(true);
      await h.run(500);
      // The second reply; the customer interrupts it 1.5 s in.
      const from = h.traces.length;
      h.say(voice('And where do I park?'));
      expect(await h.until(() => since(from, 'agent.first_audio').length > 0, 15_000)).toBe(true);
      await h.run(1500);
      const customer = voice('Wait, stop, that is not what I meant.');
      const onset = h.say(customer);
      expect(await h.until(() => since(from, 'bargein.confirmed').length > 0, 3000)).toBe(true);
      const cand = since(from, 'bargein.candidate')[0];
      expect(cand).toMatchObject({ by: 'onset' });
      // the pause came on the level onset, before the front-end's confirmed speech start
      const F = 160;
      const decidedFrame = h.nearEndLikely.findIndex((v, f) => v === 1 && f * F >= onset);
      expect(cand.sample).toBeLessThan((decidedFrame + 1) * F);
      // from two periods after the pause, nothing of the reply reaches the loudspeaker
      for (let f = Math.floor(cand.sample / F) + 2; f < h.frames; f++) expect(h.audible(f)).toBe(false);
      const tr = h.cloud.sent('conversation.item.truncate');
      expect(tr).toHaveLength(1);
      const confirmed = since(from, 'bargein.confirmed')[0] as { playedMs: number; receivedMs: number };
      expect(tr[0].body.audio_end_ms).toBe(Math.floor(confirmed.playedMs));
      expect(confirmed.playedMs).toBeLessThan(confirmed.receivedMs);
    } finally {
      await h.stop();
    }
  });
});
