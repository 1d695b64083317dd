/**
 * The offline flow with its real parts (pocketsphinx, espeak-ng, the kill switch file) in the room
 * simulator: the kill switch (acceptance 3), barge-in over a local prompt, and the recogniser
 * crashing or hanging mid-flow (acceptance 4).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OfflineRig } from '../../bench/offline-rig.js';
import { spoken } from '../helpers/offline-speech.js';

const FAST = { link: { recoverAfterMs: 500 } };
const dirs: string[] = [];
const rigs: OfflineRig[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'vt-offline-flow-'));
  dirs.push(d);
  return d;
};
async function rigAt(stateDir: string, offline: Record<string, unknown> = FAST): Promise<OfflineRig> {
  const rig = await new OfflineRig({ stateDir, offline }).start();
  rigs.push(rig);
  return rig;
}
/** Served by the cloud, then the cloud stops answering: the offline prompt starts. */
async function offlinePromptPlaying(rig: OfflineRig): Promise<void> {
  await rig.connect();
  await rig.untilCloud();
  rig.cloud.goSilent(true);
  const prompt = rig.next('offline.prompt');
  rig.commitTurn();
  await prompt;
  await rig.soundAtSpeaker(performance.now());
}

let yes: Float32Array;
beforeAll(async () => {
  yes = await spoken('yes please');
});
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.stop();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('kill switch', () => {
  it('turns the AI off within the turn: fixed message, hand-off; persists across a restart', async () => {
    const stateDir = fresh();
    const rig = await rigAt(stateDir, {
      ...FAST,
      killSwitch: { message: 'The assistant is switched off. Please wait for a member of staff.' },
    });
    await rig.connect();
    await rig.untilCloud();
    rig.commitTurn(); // a conversation is going on
    await rig.until(() => rig.responses.length === 1, 5000, 'cloud reply');

    const mode = rig.next('offline.mode', (m) => m.mode === 'killed');
    const prompt = rig.next('offline.prompt');
    const handoff = rig.next('offline.handoff');
    const state = rig.offline.setKillSwitch(true, 'fleet: test');
    expect(state.on).toBe(true);
    expect((await mode).payload.reason).toMatch(/kill switch on: fleet: test/);
    expect((await prompt).payload).toMatchObject({
      state: 'killed',
      text: 'The assistant is switched off. Please wait for a member of staff.',
    });
    expect((await handoff).payload).toMatchObject({ reason: 'kill-switch', mode: 'killed' });
    // Cloud turns are no longer played (the rig, like the engine, plays cloud audio only in 'cloud').
    rig.commitTurn();
    expect(rig.offline.currentMode).toBe('killed');
    expect(JSON.parse(readFileSync(join(stateDir, 'kill-switch.json'), 'utf8'))).toMatchObject({
      on: true,
      reason: 'fleet: test',
    });
    await rig.stop();
    rigs.splice(rigs.indexOf(rig), 1);

    // A restart (new process state, same state dir): still off; a person speaking gets the message.
    const again = await rigAt(stateDir);
    expect(again.offline.killSwitch.on).toBe(true);
    expect(again.offline.currentMode).toBe('killed');
    const handoff2 = again.next('offline.handoff');
    again.sayAtMic(await spoken('hello, can I order a burger'), 200);
    expect((await handoff2).payload.reason).toBe('kill-switch');

    // The fleet turns it off again (its bus event): back to the cloud once the message is done.
    await again.connect();
    const back = again.next('offline.mode', (m) => m.mode === 'cloud', 20_000);
    again.bus.emit('fleet.killSwitch', { on: false, source: 'remote' });
    await back;
    expect(again.offline.killSwitch.on).toBe(false);
  });
});

describe('offline flow', () => {
  it('barge-in: the customer answering over the prompt stops it and is acted on', async () => {
    const rig = await rigAt(fresh());
    await offlinePromptPlaying(rig);
    const handoff = rig.next('offline.handoff');
    rig.sayAtMic(yes, 800); // well inside the ~6 s prompt
    const h = (await handoff).payload;
    expect(h.reason).toBe('intent:yes');
    // The prompt was cut where the customer cut in (not played to its end), then the answer acted on.
    expect(
      rig.logs.some((l) => l.msg === 'offline: barge-in, prompt stopped' && l.state === 'unavailable'),
    ).toBe(true);
    expect(rig.logs.some((l) => l.msg === 'offline: heard' && l.text === 'yes please')).toBe(true);
  });

  it('a recogniser killed mid-flow is restarted and the flow continues', async () => {
    const rig = await rigAt(fresh());
    await offlinePromptPlaying(rig);
    const rec = () =>
      rig.offline.health().details?.recogniser as { pid: number; running: boolean; crashes: number };
    const pid = rec().pid;
    process.kill(pid, 'SIGKILL');
    await rig.until(
      () => rec().crashes === 1 && rec().running && rec().pid !== pid,
      10_000,
      'recogniser restarted',
    );
    await rig.speakerIdle();
    const handoff = rig.next('offline.handoff');
    rig.sayAtMic(yes, 300);
    expect((await handoff).payload.reason).toBe('intent:yes');
  });

  it('a hung recogniser (stopped: reads no audio) is detected, replaced, and the flow continues', async () => {
    const rig = await rigAt(fresh(), { ...FAST, recogniser: { hangAfterMs: 800 } });
    await offlinePromptPlaying(rig);
    const rec = () =>
      rig.offline.health().details?.recogniser as { pid: number; running: boolean; hangs: number };
    const pid = rec().pid;
    process.kill(pid, 'SIGSTOP');
    await rig.until(
      () => rec().hangs === 1 && rec().running && rec().pid !== pid,
      10_000,
      'hung recogniser replaced',
    );
    expect(() => process.kill(pid, 0)).toThrow();
    await rig.speakerIdle();
    const handoff = rig.next('offline.handoff');
    rig.sayAtMic(yes, 300);
    expect((await handoff).payload.reason).toBe('intent:yes');
  });
});
