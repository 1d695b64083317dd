/**
 * Both adapters against the loopback double (the real `ws` client and server over TCP): session
 * set-up, auth styles, agent audio, barge-in commands, tools, malformed events, expiry.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { GptLiveProvider } from '../../src/cloud/gpt-live/adapter.js';
import { LoopbackCloud } from '../../src/cloud/loopback/server.js';
import { synthVoice } from '../../src/cloud/loopback/voice.js';
import { OpenAIRealtimeProvider } from '../../src/cloud/openai-realtime/adapter.js';
import { floatToInt16 } from '../../src/cloud/pcm.js';
import type { ProviderEvent, RealtimeProvider } from '../../src/cloud/provider.js';

// biome-ignore lint/suspicious/noExplicitAny: raw wire events, inspected field by field
type Wire = any;

const KEY = 'test-key';
let cloud: LoopbackCloud;
let baseUrl: string;

beforeAll(async () => {
  cloud = new LoopbackCloud({ apiKey: KEY, realtimePace: 8, livePace: 4 });
  baseUrl = await cloud.start();
});
afterAll(async () => {
  await cloud.stop();
});

function collect(p: RealtimeProvider): ProviderEvent[] {
  const events: ProviderEvent[] = [];
  p.on((e) => events.push(e));
  return events;
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const realtime = (auth: 'bearer' | 'azure-api-key' = 'bearer', apiKey = KEY) =>
  new OpenAIRealtimeProvider({
    baseUrl,
    auth,
    apiKey,
    model: 'gpt-realtime',
    voice: 'marin',
    transcriptionModel: 'gpt-4o-mini-transcribe',
  });
const live = () =>
  new GptLiveProvider({
    baseUrl,
    auth: 'bearer',
    apiKey: KEY,
    model: 'gpt-live-1',
    voice: 'marin',
    rate: 16000,
    gapMs: 200,
  });
const start = {
  instructions: 'Be brief.',
  history: [],
  tools: [{ name: 'add_item', description: 'Add an item', parameters: { type: 'object', properties: {} } }],
};

describe('OpenAI Realtime adapter against the loopback double', () => {
  it('refuses a wrong key with a clear error', async () => {
    await expect(realtime('bearer', 'wrong').connect(start)).rejects.toThrow(/HTTP 401/);
  });

  it('speaks GA events: session.update, audio deltas at 24 kHz, cancel + truncate to what was heard', async () => {
    const p = realtime('azure-api-key');
    const events = collect(p);
    await p.connect(start);
    const sid = cloud.sessions.at(-1)?.id as string;
    const update = cloud.sent('session.update', sid)[0].body as { session: Record<string, Wire> };
    expect(update.session.type).toBe('realtime');
    expect(update.session.audio.input.turn_detection).toBeNull();
    expect(update.session.tools[0].name).toBe('add_item');

    cloud.script.replies.push({ text: 'A long answer to cut short.', durationMs: 2000 });
    p.sendAudio(floatToInt16(synthVoice({ rate: 24000, durationMs: 500, f0: 200 })));
    p.commitTurn();
    await until(() => events.some((e) => e.type === 'audio'));
    const first = events.find((e) => e.type === 'audio') as Extract<ProviderEvent, { type: 'audio' }>;
    // Let some audio arrive, then interrupt having "played" 300 ms.
    await until(() => (cloud.sessions.at(-1)?.sentMs.values().next().value ?? 0) >= 600);
    p.interrupt({ responseId: first.responseId, playedMs: 300.7, receivedMs: 10_000 });
    await until(() => events.some((e) => e.type === 'response.done'));
    expect(cloud.sent('response.cancel', sid)).toHaveLength(1);
    const trunc = cloud.sent('conversation.item.truncate', sid);
    expect(trunc).toHaveLength(1);
    expect(trunc[0].body.audio_end_ms).toBe(300);
    expect(events.find((e) => e.type === 'response.done')).toMatchObject({ status: 'cancelled' });
    expect(cloud.sessions.at(-1)?.errors).toEqual([]);
    expect(cloud.sent('input_audio_buffer.append', sid)[0].body.samples).toBe(12000);
    await p.close();
  });

  it('the double rejects a truncate beyond the audio it sent, as the service does', async () => {
    const p = realtime();
    await p.connect(start);
    cloud.script.replies.push({ text: 'Short.', durationMs: 400 });
    const events = collect(p);
    p.commitTurn();
    await until(() => events.some((e) => e.type === 'response.done'));
    const sid = cloud.sessions.at(-1)?.id as string;
    // Send the offending event on a raw client of the same API to see the double's answer.
    const raw = new WebSocket(`${baseUrl}/realtime?model=x`, { headers: { Authorization: `Bearer ${KEY}` } });
    const got: Wire[] = [];
    raw.on('message', (d) => got.push(JSON.parse(d.toString())));
    await new Promise((r) => raw.once('open', r));
    raw.send(JSON.stringify({ type: 'response.create' }));
    await until(() => got.some((e) => e.type === 'response.done'));
    const item = got.find((e) => e.type === 'response.output_item.added').item.id;
    raw.send(
      JSON.stringify({
        type: 'conversation.item.truncate',
        item_id: item,
        content_index: 0,
        audio_end_ms: 999_999,
      }),
    );
    await until(() => got.some((e) => e.type === 'error'));
    expect(got.find((e) => e.type === 'error').error.message).toMatch(/greater than the audio duration/);
    raw.close();
    expect(sid).toBeTruthy();
    await p.close();
  });

  it('tool calls round-trip: function_call_arguments.done → function_call_output + response.create', async () => {
    const p = realtime();
    const events = collect(p);
    await p.connect(start);
    const sid = cloud.sessions.at(-1)?.id as string;
    cloud.script.replies.push(
      { toolCall: { name: 'add_item', arguments: { item: 'fries' } } },
      { text: 'Added.', durationMs: 300 },
    );
    p.commitTurn();
    await until(() => events.some((e) => e.type === 'tool.call'));
    const call = events.find((e) => e.type === 'tool.call') as Extract<ProviderEvent, { type: 'tool.call' }>;
    expect(JSON.parse(call.arguments)).toEqual({ item: 'fries' });
    p.sendToolResult(call.callId, '{"ok":true}');
    await until(() => events.filter((e) => e.type === 'response.done').length >= 2);
    const out = cloud
      .sent('conversation.item.create', sid)
      .find((e) => (e.body.item as Wire).type === 'function_call_output');
    expect(out?.body.item).toMatchObject({ call_id: call.callId, output: '{"ok":true}' });
    expect(events.some((e) => e.type === 'audio')).toBe(true);
    expect(cloud.sessions.at(-1)?.errors).toEqual([]);
    await p.close();
  });

  it('one response at a time: a second response.create waits for the first response.done', async () => {
    const p = realtime();
    const events = collect(p);
    await p.connect(start);
    const sid = cloud.sessions.at(-1)?.id as string;
    cloud.script.replies.push({ text: 'First.', durationMs: 300 }, { text: 'Second.', durationMs: 300 });
    p.commitTurn();
    p.prompt('Now say something else.');
    await until(() => events.filter((e) => e.type === 'response.done').length === 2);
    expect(cloud.sent('response.create', sid)).toHaveLength(2);
    expect(cloud.sessions.at(-1)?.errors).toEqual([]);
    await p.close();
  });

  it('survives malformed and unknown events; reports session expiry as closed/expired', async () => {
    const p = realtime();
    const events = collect(p);
    await p.connect(start);
    cloud.sendRaw('{not json');
    cloud.sendRaw(
      JSON.stringify({
        type: 'response.output_audio.delta',
        response_id: 'r',
        item_id: 'i',
        content_index: 0,
        delta: 42,
      }),
    );
    cloud.sendRaw(JSON.stringify({ type: 'something.new' }));
    await until(() => events.filter((e) => e.type === 'ignored').length === 3);
    expect(p.connected).toBe(true);
    cloud.expireSessions();
    await until(() => events.some((e) => e.type === 'closed'));
    expect(events.find((e) => e.type === 'closed')).toMatchObject({ reason: 'expired', code: 1001 });
    expect(events.find((e) => e.type === 'error')).toMatchObject({ code: 'session_expired' });
  });
});

describe('GPT-Live adapter against the loopback double', () => {
  it('session.start (strict), continuous audio, the model answers after the customer stops', async () => {
    const p = live();
    const events = collect(p);
    await p.connect({ ...start, history: [{ role: 'user', text: 'I want fries' }] });
    expect(events[0]).toMatchObject({ type: 'ready' });
    expect((events[0] as { expiresAt?: number }).expiresAt).toBeGreaterThan(Date.now());
    const sid = cloud.sessions.at(-1)?.id as string;
    const s = cloud.sent('session.start', sid)[0].body.session as Record<string, Wire>;
    expect(s.instructions).toMatch(/Interruption policy:/);
    expect(s.input).toEqual([{ type: 'message', role: 'user', content: 'I want fries' }]);
    expect(s.delegation.type).toBe('responses');
    cloud.script.replies.push({ text: 'Fries coming up with a drink for you.', durationMs: 1200 });
    const speech = floatToInt16(synthVoice({ rate: 16000, durationMs: 600, f0: 200 }));
    const silence = new Int16Array(1600);
    for (let i = 0; i < speech.length; i += 1600) p.sendAudio(speech.subarray(i, i + 1600));
    for (let i = 0; i < 8; i++) p.sendAudio(silence);
    await until(() => events.some((e) => e.type === 'audio'));
    const started = events.find((e) => e.type === 'response.started') as Extract<
      ProviderEvent,
      { type: 'response.started' }
    >;
    await until(() => events.some((e) => e.type === 'transcript' && e.role === 'agent'), 3000);
    await new Promise((r) => setTimeout(r, 100));
    const before = cloud.sent('session.instructions.append', sid).length;
    p.interrupt({ responseId: started.responseId, playedMs: 50, receivedMs: 400 });
    await until(() => cloud.sent('session.instructions.append', sid).length > before);
    const note = cloud.sent('session.instructions.append', sid).at(-1)?.body.content as string;
    expect(note).toMatch(/did NOT hear: "(\S.*)"/);
    await until(() => events.some((e) => e.type === 'response.done'));
    await p.close();
  });

  it('the double rejects unknown session fields; tools via responses delegation', async () => {
    const raw = new WebSocket(`${baseUrl}/live/sessions`, { headers: { Authorization: `Bearer ${KEY}` } });
    const got: Wire[] = [];
    raw.on('message', (d) => got.push(JSON.parse(d.toString())));
    await new Promise((r) => raw.once('open', r));
    raw.send(JSON.stringify({ type: 'session.start', session: { model: 'gpt-live-1', temperature: 0.5 } }));
    await until(() => got.length > 0);
    expect(got[0]).toMatchObject({ type: 'error', error: { code: 'unknown_parameter' } });
    raw.close();

    const p = live();
    const events = collect(p);
    await p.connect(start);
    cloud.script.replies.push({ toolCall: { name: 'add_item', arguments: { item: 'shake' } } });
    p.prompt('Now ask the customer: anything else?');
    await until(() => events.some((e) => e.type === 'tool.call'));
    const call = events.find((e) => e.type === 'tool.call') as Extract<ProviderEvent, { type: 'tool.call' }>;
    expect(call.name).toBe('add_item');
    p.sendToolResult(call.callId, '{"ok":true}');
    const sid = cloud.sessions.at(-1)?.id as string;
    await until(() => cloud.sent('response.create', sid).length === 1);
    expect(cloud.sent('response.item.create', sid)[0].body.item).toMatchObject({
      type: 'function_call_output',
      call_id: call.callId,
    });
    cloud.expireSessions();
    await until(() => events.some((e) => e.type === 'closed'));
    expect(events.find((e) => e.type === 'closed')).toMatchObject({ reason: 'expired' });
  });
});
