/**
 * Acceptance 1 through the whole terminal: room simulator, front-end (AEC + VAD), duplex engine,
 * session keeper and the real Realtime adapter against the loopback double, plus the offline
 * component. Turns are taken by the engine from espeak-ng speech in the room — nothing here calls
 * commitTurn() by hand. The cloud stops answering mid-conversation; the offline prompt follows
 * within 2 s; "talk to a person" hands off; the link returns; the next turn is answered by the cloud.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OfflineRig } from '../../bench/offline-rig.js';
import { spoken } from '../helpers/offline-speech.js';
import { scaled } from '../helpers/time-scale.js';

const stateDir = mkdtempSync(join(tmpdir(), 'vt-offline-conv-'));
let rig: OfflineRig;

beforeAll(async () => {
  rig = await new OfflineRig({ stateDir, withConversation: true }).start();
  rig.cloud.script.defaultReply = { text: 'Sure. Anything else?' };
  await rig.untilCloud(20_000);
});

afterAll(async () => {
  if (process.env.OFFLINE_DEBUG)
    for (const l of rig?.logs ?? [])
      if (['offline', 'conversation'].includes(String(l.component))) console.log(JSON.stringify(l));
  await rig?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** The engine committed the customer's turn (its trace), with the time it happened. */
function nextCommit(): Promise<number> {
  return rig
    .next('conversation.trace', (t) => t.type === 'turn.end' && t.committed, 20_000)
    .then((e) => e.at);
}

describe('offline fallback through the whole terminal', () => {
  it('cloud turn → cloud goes silent → offline prompt ≤ 2 s → hand-off → link back → cloud turn', {
    timeout: scaled(120_000),
  }, async () => {
    const [order, fries, person, water] = await Promise.all([
      spoken('I would like a burger please'),
      spoken('and a large fries'),
      spoken('talk to a person'),
      spoken('can I get a water'),
    ]);
    const sessions = () => rig.cloud.sessions.length;

    // 1. A normal cloud turn, taken by the engine from speech in the room.
    let commit = nextCommit();
    rig.sayAtMic(order, 200);
    await commit;
    await rig.until(() => rig.cloud.sent('response.create').length === 1, 5000, 'response.create');
    await rig.speakerIdle();
    expect(rig.offline.currentMode).toBe('cloud');

    // 2. The cloud stops answering; the customer's next turn gets no answer.
    rig.cloud.goSilent(true);
    commit = nextCommit();
    const offlinePrompt = rig.next('offline.prompt', () => true, 20_000);
    rig.sayAtMic(fries, 200);
    const committedAt = await commit;
    const onset = await rig.soundAtSpeaker((await offlinePrompt).at - 1);
    const ms = onset - committedAt;
    console.log(`customer turn committed → offline prompt at the loudspeaker: ${Math.round(ms)} ms`);
    expect(ms).toBeLessThan(scaled(2000)); // a latency: stretched under arm64 emulation

    // 3. The customer asks for a person after the prompt. The offline flow owns this turn: nothing
    //    is committed to the dead session (a stale answer would come back after recovery).
    await rig.speakerIdle();
    const commitsOffline = rig.cloud.sent('input_audio_buffer.commit').length;
    const handoff = rig.next('offline.handoff', () => true, 20_000);
    rig.sayAtMic(person, 300);
    expect((await handoff).payload.reason).toBe('intent:person');
    await rig.speakerIdle();
    expect(rig.cloud.sent('input_audio_buffer.commit').length).toBe(commitsOffline);

    // 4. The network comes back. Nobody resets the silent socket: the keeper has been building a
    //    replacement session since link health declared the link offline; once one connects, link
    //    health sees it healthy for recoverAfterMs, and the cloud serves again.
    const before = sessions();
    rig.cloud.goSilent(false);
    const back = rig.next('offline.mode', (m) => m.mode === 'cloud', 30_000);
    const resume = rig.next('offline.resume', () => true, 30_000);
    await back;
    expect(sessions()).toBeGreaterThan(before);
    expect((await resume).payload.history).toContainEqual({ role: 'user', text: 'talk to a person' });
    await rig.speakerIdle();

    // 5. The next turn goes to the cloud and is answered.
    const creates = rig.cloud.sent('response.create').length;
    commit = nextCommit();
    rig.sayAtMic(water, 200);
    await commit;
    await rig.until(
      () => rig.cloud.sent('response.create').length > creates,
      5000,
      'next turn sent to the cloud',
    );
    await rig.until(() => rig.device.stats().queuedSamples > 0, 5000, 'the cloud answer at the loudspeaker');
  });
});
