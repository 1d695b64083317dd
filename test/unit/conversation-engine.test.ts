/**
 * The duplex engine driven frame by frame with the room simulator as its device (the acoustic
 * double), and a recorder of the commands it gives the cloud side. The near-end signal is scripted
 * per frame here: what the engine does with it is what is under test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RoomDevice } from '../../src/audio/room/index.js';
import type { InterruptInfo } from '../../src/cloud/provider.js';
import { type CloudPort, DuplexEngine, type EngineTrace } from '../../src/conversation/engine.js';
import { DEFAULT_BARGE_IN, DEFAULT_TURN, type NearEndSignal } from '../../src/conversation/policy.js';

const RATE = 16000;
const F = 160;

class CloudRecorder implements CloudPort {
  commits = 0;
  interrupts: InterruptInfo[] = [];
  constructor(
    readonly holdMode: 'pause' | 'duck',
    readonly deviceDecidesTurns = holdMode === 'pause',
  ) {}
  commitTurn(): void {
    this.commits++;
  }
  interrupt(info: InterruptInfo): void {
    this.interrupts.push(info);
  }
}

function tone(ms: number, amp = 0.3): Float32Array {
  const n = (RATE * ms) / 1000;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = amp * Math.sin((2 * Math.PI * 220 * i) / RATE);
  return out;
}

async function setup(mode: 'pause' | 'duck') {
  const dev = new RoomDevice({ rate: RATE, seed: 1, noise: { type: 'none' } });
  await dev.open();
  const cloud = new CloudRecorder(mode);
  const traces: EngineTrace[] = [];
  const engine = new DuplexEngine(dev, cloud, {
    rate: RATE,
    frameSamples: F,
    bargeIn: DEFAULT_BARGE_IN,
    turn: DEFAULT_TURN,
    trace: (t) => traces.push(t),
  });
  const refEnergy: number[] = [];
  /**
   * Run n frames; near(i) says whether the customer speaks in frame i (0-based from this call);
   * hang(i): the front-end still says nearEndLikely (its hangover) but the VAD has dropped.
   */
  /** Run n frames with the front-end's signal for frame i (0-based from this call) given in full. */
  const runSignal = (n: number, signal: (i: number) => NearEndSignal) => {
    for (let i = 0; i < n; i++) {
      const frame = dev.step();
      if (!frame) throw new Error('device not running');
      let e = 0;
      for (const s of frame.ref) e += s * s;
      refEnergy.push(e);
      engine.step(signal(i));
    }
  };
  const run = (
    n: number,
    near: (i: number) => boolean = () => false,
    hang: (i: number) => boolean = () => false,
  ) => runSignal(n, (i) => ({ nearEndLikely: near(i) || hang(i), speechProb: near(i) ? 0.9 : 0.1 }));
  return { dev, cloud, engine, traces, run, runSignal, refEnergy };
}

let opened: RoomDevice | undefined;
afterEach(async () => {
  await opened?.close();
});

/** A whole 1.5 s reply on the Realtime path, played for leadFrames before the test's near-end script. */
async function playingReply(leadFrames: number) {
  const s = await setup('pause');
  opened = s.dev;
  s.engine.agentAudio('r1', tone(1500));
  s.engine.responseDone('r1');
  s.run(leadFrames);
  return s;
}

describe('DuplexEngine', () => {
  it('plays a reply to the end: every received sample reaches the DAC, then idle', async () => {
    const s = await setup('pause');
    opened = s.dev;
    s.engine.agentAudio('r1', tone(300));
    s.engine.agentAudio('r1', tone(200));
    s.engine.responseDone('r1');
    s.run(80);
    expect(s.dev.playedSamples).toBe((RATE * 500) / 1000);
    expect(s.engine.state).toBe('idle');
    expect(s.traces.map((t) => t.type)).toEqual(['agent.first_audio', 'agent.done']);
    expect(s.cloud.interrupts).toHaveLength(0);
  });

  it('pauses on the first near-end frame, confirms after confirmMs, truncates to the DAC position exactly', async () => {
    const s = await setup('pause');
    opened = s.dev;
    s.engine.agentAudio('r1', tone(2000));
    s.run(50); // 500 ms of agent speech
    const before = s.dev.playedSamples;
    s.run(70, (i) => i < 55); // the customer talks 550 ms
    const cand = s.traces.find((t) => t.type === 'bargein.candidate');
    expect(cand).toBeDefined();
    // The pause took effect within one period: the next period only carries the device's 2 ms
    // fade-out, and the one after is silent.
    const onset = 50;
    expect(s.refEnergy[onset + 1]).toBeLessThan(s.refEnergy[onset] * 0.25);
    expect(s.refEnergy[onset + 2]).toBe(0);
    expect(s.cloud.interrupts).toHaveLength(1);
    const info = s.cloud.interrupts[0];
    expect(info.responseId).toBe('r1');
    // played = what left the DAC: the 500 ms before, plus the frame during which the onset was seen.
    expect(info.playedMs).toBeCloseTo(((before + F) * 1000) / RATE, 6);
    expect(s.dev.playedSamples).toBe(before + F);
    expect(info.receivedMs).toBe(2000);
    // The rest of that response is dropped, even if more arrives.
    s.engine.agentAudio('r1', tone(500));
    s.run(10);
    expect(s.dev.playedSamples).toBe(before + F);
    expect(s.engine.state).toBe('idle');
  });

  it('pauses on the level onset, chunks before the decision; only the decision makes it a stop', async () => {
    const s = await setup('pause');
    opened = s.dev;
    s.engine.agentAudio('r1', tone(3000));
    s.run(50);
    const before = s.dev.playedSamples;
    // The customer speaks 700 ms: the level onset is up on its first frame, the VAD from the
    // 7th, the echo-aware decision from the 10th (as the real front-end does, roughly).
    s.runSignal(90, (i) => ({
      onsetLikely: i < 70,
      speechProb: i >= 6 && i < 70 ? 0.9 : 0.1,
      nearEndLikely: i >= 9 && i < 95,
    }));
    const cand = s.traces.find((t) => t.type === 'bargein.candidate');
    expect(cand?.frame).toBe(51);
    expect(s.refEnergy[52]).toBe(0); // silent one period after the onset frame
    expect(s.cloud.interrupts).toHaveLength(1);
    // truncated to what reached the DAC: up to and including the onset frame
    expect(s.cloud.interrupts[0].playedMs).toBeCloseTo(((before + F) * 1000) / RATE, 6);
  });

  it('an echo burst or a click (level onset, no speech) costs a pause of soundReleaseMs, then resumes exactly', async () => {
    const s = await playingReply(40);
    s.runSignal(200, (i) => ({ onsetLikely: i < 2, speechProb: 0.05, nearEndLikely: false }));
    const cand = s.traces.find((t) => t.type === 'bargein.candidate');
    const rel = s.traces.find((t) => t.type === 'bargein.released');
    expect(rel).toMatchObject({ kind: 'false' });
    // silence counted from the last onset frame: 2 onset frames + soundReleaseMs
    expect(rel && cand && rel.frame - cand.frame).toBe(1 + DEFAULT_BARGE_IN.soundReleaseMs / 10);
    expect(s.cloud.interrupts).toHaveLength(0);
    expect(s.dev.playedSamples).toBe((RATE * 1500) / 1000);
  });

  it('speech by the VAD that the echo-aware decision never confirms (babble, a radio) does not stop the agent', async () => {
    const s = await playingReply(40);
    s.runSignal(250, (i) => ({ onsetLikely: i < 80, speechProb: i < 80 ? 0.9 : 0.1, nearEndLikely: false }));
    expect(s.cloud.interrupts).toHaveLength(0);
    expect(s.traces.find((t) => t.type === 'bargein.released')).toMatchObject({ kind: 'backchannel' });
    expect(s.dev.playedSamples).toBe((RATE * 1500) / 1000);
  });

  it('a backchannel pauses and resumes exactly where it paused: nothing lost, no interrupt', async () => {
    const s = await playingReply(30);
    s.run(200, (i) => i < 25); // "mm-hmm": 250 ms
    expect(s.cloud.interrupts).toHaveLength(0);
    const released = s.traces.find((t) => t.type === 'bargein.released');
    expect(released).toMatchObject({ kind: 'backchannel' });
    expect(s.dev.playedSamples).toBe((RATE * 1500) / 1000);
    expect(s.engine.state).toBe('idle');
    // The backchannel did not count as a customer turn: no commit.
    expect(s.cloud.commits).toBe(0);
  });

  it("the front-end's hangover does not lengthen a backchannel into an interruption", async () => {
    const s = await playingReply(30);
    // 300 ms of speech, then 300 ms where only the decision's hangover says "near end".
    s.run(
      200,
      (i) => i < 30,
      (i) => i >= 30 && i < 60,
    );
    expect(s.cloud.interrupts).toHaveLength(0);
    expect(s.traces.find((t) => t.type === 'bargein.released')).toMatchObject({ kind: 'backchannel' });
    expect(s.dev.playedSamples).toBe((RATE * 1500) / 1000);
  });

  it('barge-in is available on the very first frame of agent audio', async () => {
    const s = await setup('pause');
    opened = s.dev;
    s.engine.agentAudio('r1', tone(1000));
    s.run(1);
    s.run(50, () => true);
    expect(s.traces[0]).toMatchObject({ type: 'agent.first_audio' });
    expect(s.traces[1]).toMatchObject({ type: 'bargein.candidate' });
    expect(s.cloud.interrupts).toHaveLength(1);
    expect(s.cloud.interrupts[0].playedMs).toBeLessThanOrEqual(20);
  });

  it('commits the customer turn after endOfTurnMs of silence, and only for real speech', async () => {
    const s = await setup('pause');
    opened = s.dev;
    s.run(100, (i) => i < 5); // 50 ms click: not a turn
    expect(s.cloud.commits).toBe(0);
    s.run(150, (i) => i < 80); // 800 ms of speech, then silence
    expect(s.cloud.commits).toBe(1);
    const end = s.traces.find((t) => t.type === 'turn.end' && t.committed);
    expect(end).toMatchObject({ lastSpeechFrame: 100 + 80, frame: 100 + 80 + 50 });
    expect(s.engine.atTurnBoundary).toBe(false); // waiting for the reply
    s.engine.agentAudio('r2', tone(100));
    s.engine.responseDone('r2');
    s.run(20);
    expect(s.engine.atTurnBoundary).toBe(true);
  });

  it('Live: ducks (plays on quietly) while pending, stops and reports on confirmation', async () => {
    const s = await setup('duck');
    opened = s.dev;
    s.engine.agentAudio('live-1', tone(2000));
    s.run(30);
    const loud = s.refEnergy[29];
    s.run(70, (i) => i < 60);
    // A few frames after the onset the DAC plays the ducked signal (gain 0.2 → energy × 0.04).
    expect(s.refEnergy[36]).toBeGreaterThan(0);
    expect(s.refEnergy[36]).toBeLessThan(loud * 0.1);
    expect(s.cloud.interrupts).toHaveLength(1);
    expect(s.cloud.interrupts[0].playedMs).toBeGreaterThan(300);
    expect(s.refEnergy[99]).toBe(0);
    expect(s.cloud.commits).toBe(0); // Live takes its own turns
  });

  it('dropAll (link lost / session replaced) silences and forgets everything queued', async () => {
    const s = await setup('pause');
    opened = s.dev;
    s.engine.agentAudio('r1', tone(1000));
    s.run(10);
    s.engine.dropAll();
    s.run(3);
    expect(s.refEnergy[12]).toBe(0);
    s.engine.agentAudio('r1', tone(100)); // a late delta of the old session
    s.run(10);
    expect(s.refEnergy.slice(11).every((e) => e === 0)).toBe(true);
  });

  it('dropAll on an idle engine leaves the device alone: the offline flow may be speaking through it', async () => {
    const s = await setup('pause');
    opened = s.dev;
    // Someone else (the offline flow's prompt) plays through the same device.
    s.dev.write(tone(500));
    s.run(5);
    s.engine.dropAll();
    s.run(10);
    expect(s.refEnergy.slice(5, 15).every((e) => e > 0)).toBe(true);
  });
});
