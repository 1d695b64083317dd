import { describe, expect, it } from 'vitest';
import { dialogFlowSchema } from '../../src/config/sections/offline.js';
import { DEFAULT_FLOWS } from '../../src/offline/default-flows.js';
import { DialogMachine, killSwitchFlow } from '../../src/offline/dialog.js';

const driveThru = dialogFlowSchema.parse(DEFAULT_FLOWS['drive-thru']);
const vehicle = dialogFlowSchema.parse(DEFAULT_FLOWS.vehicle);

describe('offline dialog machine (drive-thru)', () => {
  it('offers a crew member, listens, and hands off on "talk to a person"', () => {
    const m = new DialogMachine(driveThru);
    const start = m.start(0);
    expect(start).toEqual([{ type: 'say', state: 'unavailable', text: driveThru.states.unavailable.say }]);
    expect(m.phase).toBe('speaking');
    expect(m.atTurnBoundary).toBe(false);
    expect(m.promptFinished(10)).toEqual([{ type: 'listen', timeoutMs: 8000 }]);
    expect(m.atTurnBoundary).toBe(true);
    const out = m.heard('talk to a person', 'person', 20);
    expect(out).toEqual([
      { type: 'say', state: 'handoff', text: driveThru.states.handoff.say },
      { type: 'handoff', reason: 'intent:person' },
    ]);
    expect(m.promptFinished(30)).toEqual([]);
    expect(m.phase).toBe('done');
    expect(m.transcript.map((t) => t.role)).toEqual(['terminal', 'customer', 'terminal']);
    expect(m.transcript[1]).toMatchObject({ text: 'talk to a person', intent: 'person' });
  });

  it('"yes" hands off too; "no" waits; "repeat" says the prompt again', () => {
    const m = new DialogMachine(driveThru);
    m.start(0);
    m.promptFinished(1);
    expect(m.heard('say that again', 'repeat', 2)[0]).toMatchObject({ type: 'say', state: 'unavailable' });
    m.promptFinished(3);
    expect(m.heard('no thanks', 'no', 4)[0]).toMatchObject({ type: 'say', state: 'declined' });
    m.promptFinished(5);
    expect(m.heard('yes', 'yes', 6)).toContainEqual({ type: 'handoff', reason: 'intent:yes' });
  });

  it('an answer during the prompt is a barge-in: stop speaking first, then act', () => {
    const m = new DialogMachine(driveThru);
    m.start(0);
    const out = m.heard('yes please', 'yes', 5);
    expect(out[0]).toEqual({ type: 'stop-speaking' });
    expect(out).toContainEqual({ type: 'handoff', reason: 'intent:yes' });
  });

  it('bargeIn() stops the prompt and starts listening', () => {
    const m = new DialogMachine(driveThru);
    m.start(0);
    expect(m.bargeIn(1)).toEqual([{ type: 'stop-speaking' }, { type: 'listen', timeoutMs: 8000 }]);
    expect(m.phase).toBe('listening');
    expect(m.bargeIn(2)).toEqual([]); // not speaking any more
  });

  it('no answer: repeats up to maxRepeats, then falls back to a hand-off', () => {
    const m = new DialogMachine(driveThru);
    m.start(0);
    m.promptFinished(1);
    expect(m.noInput(2)[0]).toMatchObject({ type: 'say', state: 'unavailable' });
    m.promptFinished(3);
    const out = m.noInput(4);
    expect(out).toContainEqual({ type: 'handoff', reason: 'no-answer' });
  });

  it("an utterance outside this state's intents re-asks (and counts as a miss)", () => {
    const m = new DialogMachine(driveThru);
    m.start(0);
    m.promptFinished(1);
    expect(m.heard('mumble', undefined, 2)[0]).toMatchObject({ type: 'say', state: 'unavailable' });
    expect(m.transcript.at(-2)).toMatchObject({ role: 'customer', text: 'mumble', intent: undefined });
  });

  it('noInput is ignored while speaking (a stale timer cannot skip a prompt)', () => {
    const m = new DialogMachine(driveThru);
    m.start(0);
    expect(m.noInput(1)).toEqual([]);
  });
});

describe('offline dialog machine (vehicle)', () => {
  it('stop goes quiet, idle ignores unrelated speech, call support hands off', () => {
    const m = new DialogMachine(vehicle);
    m.start(0);
    m.promptFinished(1);
    expect(m.heard('stop', 'stop', 2)[0]).toMatchObject({ type: 'say', state: 'stopped', text: 'Okay.' });
    m.promptFinished(3);
    expect(m.noInput(4)).toEqual([{ type: 'idle' }]);
    expect(m.phase).toBe('idle');
    expect(m.heard('be quiet', 'stop', 5)).toEqual([]); // not an answer in this state: stay quiet
    expect(m.heard('call support', 'support', 6)).toContainEqual({
      type: 'handoff',
      reason: 'intent:support',
    });
  });
});

describe('kill switch flow', () => {
  it('says the fixed message, hands off, and listens to nothing', () => {
    const m = new DialogMachine(killSwitchFlow('AI is off.'));
    expect(m.start(0)).toEqual([
      { type: 'say', state: 'killed', text: 'AI is off.' },
      { type: 'handoff', reason: 'start' },
    ]);
    expect(m.promptFinished(1)).toEqual([]);
    expect(m.phase).toBe('done');
    expect(m.heard('hello', undefined, 2)).toEqual([]);
  });
});
