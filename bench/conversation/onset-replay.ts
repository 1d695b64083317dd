/**
 * `npm run bench -- bargein --onset-replay [--quick]`: the front-end's two barge-in signals
 * (per-frame level onset `onsetLikely`, confirmed decision `nearEndLikely`) over many minutes of
 * agent speech, without the engine or the cloud: the room simulator runs unpaced and the agent
 * plays every reply through (nothing pauses it), so each signal's own behaviour is measured:
 *  - echo alone: rising edges of each signal while only the agent plays (no customer within
 *    300 ms) — every one would be a pause (onset) or a pause that may become a stop (decision);
 *  - barge-ins: customer onset (room ground truth) → first frame of each signal, with the agent
 *    talking over the customer the whole time (the hardest case: the engine pauses after this).
 * Odd rooms start with a barge-in (in the first reply of a session: the canceller's cold start),
 * even rooms with agent-only speech (cold start with nobody talking). Rooms: the bargein bench's
 * three plus harder ones (louder echo, a clipping loudspeaker, babble,
 * more noise). Agent and customers are espeak-ng voices, as in the bargein bench.
 */
import { RoomDevice, type RoomScenario } from '../../src/audio/room/index.js';
import { FrontendPipeline } from '../../src/frontend/pipeline.js';
import { AGENT_LINES, AGENT_VOICES, CUSTOMER_LINES, CUSTOMER_VOICES, speakCached } from '../corpus/speech.js';
import { quantile } from './score.js';

type Kind = 'agent-only' | 'bargein';

const ROOMS: RoomScenario[] = [
  { seed: 11, echoPath: { rt60: 0.3, delayMs: 8, gainDb: -12 }, noise: { type: 'pink', levelDbfs: -60 } },
  { seed: 12, echoPath: { rt60: 0.4, delayMs: 18, gainDb: -6 }, noise: { type: 'pink', levelDbfs: -60 } },
  { seed: 13, echoPath: { rt60: 0.5, delayMs: 28, gainDb: 0 }, noise: { type: 'pink', levelDbfs: -60 } },
  { seed: 21, echoPath: { rt60: 0.6, delayMs: 40, gainDb: 6 }, noise: { type: 'pink', levelDbfs: -60 } },
  {
    seed: 22,
    echoPath: { rt60: 0.4, delayMs: 20, gainDb: 0, nonlinearity: { type: 'softclip', level: 0.3 } },
    noise: { type: 'pink', levelDbfs: -60 },
  },
  { seed: 23, echoPath: { rt60: 0.3, delayMs: 5, gainDb: -3 }, noise: { type: 'babble', levelDbfs: -45 } },
  { seed: 24, echoPath: { rt60: 0.5, delayMs: 30, gainDb: 3 }, noise: { type: 'pink', levelDbfs: -42 } },
];
const EPISODES: Kind[] = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 'agent-only' : 'bargein'));

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Signals {
  rises: number;
  latencies: number[];
}

export async function runOnsetReplay(quick: boolean): Promise<Record<string, unknown>> {
  const rooms = quick ? ROOMS.slice(1, 3) : ROOMS;
  const episodes = quick ? EPISODES.slice(0, 4) : EPISODES;
  const fe = new FrontendPipeline();
  const F = fe.frameSamples;
  const onset: Signals = { rises: 0, latencies: [] };
  const decision: Signals = { rises: 0, latencies: [] };
  let agentOnlyFrames = 0;
  const perRoom: Array<Record<string, unknown>> = [];
  const t0 = performance.now();
  try {
    for (const [ri, room] of rooms.entries()) {
      fe.reset();
      const dev = new RoomDevice({ rate: 16000, ...room });
      await dev.open();
      const r = rng(100 + ri);
      const before = { o: onset.rises, d: decision.rises, f: agentOnlyFrames };
      // per frame of this room: the two signals and whether the customer is audible
      const on: number[] = [];
      const near: number[] = [];
      const customer: number[] = [];
      const step = () => {
        const fp = dev.step();
        if (!fp) throw new Error('room device stopped');
        const f = fe.process(fp.mic, fp.ref, fp.index);
        on.push(f.onsetLikely ? 1 : 0);
        near.push(f.nearEndLikely ? 1 : 0);
        let e = 0;
        for (const v of dev.truth.near) e += v * v;
        customer.push(e / F > 1e-8 ? 1 : 0);
      };
      for (let i = 0; i < 50; i++) step();
      const spans: Array<{ kind: Kind; a: number; b: number; onset?: number }> = [];
      // odd rooms start with a barge-in: the session's cold start (canceller not converged yet)
      const order = ri % 2 === 1 ? [...episodes.slice(1), episodes[0]] : episodes;
      for (const [i, kind] of order.entries()) {
        const k = ri * 100 + i;
        const agent = speakCached(
          `${AGENT_LINES[k % AGENT_LINES.length]} ${AGENT_LINES[(k + 3) % AGENT_LINES.length]}`,
          AGENT_VOICES[ri % AGENT_VOICES.length],
        );
        const a = on.length + 1; // written now, at the DAC from the next frame
        dev.write(agent);
        const span: (typeof spans)[number] = { kind, a, b: a + Math.ceil(agent.length / F) };
        if (kind === 'bargein') {
          const utter = speakCached(
            CUSTOMER_LINES[k % CUSTOMER_LINES.length],
            CUSTOMER_VOICES[k % CUSTOMER_VOICES.length],
          );
          const gain = 0.5 + 0.5 * r();
          const start = a * F + Math.round((800 + 1700 * r()) * 16);
          const resolved = dev.resolved;
          if (!resolved) throw new Error('room not open');
          resolved.talkers.push({ name: `c${i}`, samples: utter.map((v) => v * gain), startSample: start });
          let first = 0;
          while (first < utter.length && Math.abs(utter[first] * gain) <= 1e-3) first++;
          span.onset = start + first;
        }
        spans.push(span);
        const frames = Math.ceil(agent.length / F) + 80;
        for (let n = 0; n < frames; n++) step();
      }
      await dev.close();
      // score this room
      const nearCustomer = (i: number) => {
        for (let j = Math.max(0, i - 30); j <= Math.min(customer.length - 1, i + 30); j++)
          if (customer[j]) return true;
        return false;
      };
      for (const s of spans) {
        const end = s.onset === undefined ? s.b : Math.floor(s.onset / F) - 1;
        for (let i = s.a; i < end; i++) {
          if (nearCustomer(i)) continue;
          agentOnlyFrames++;
          if (on[i] && !on[i - 1]) onset.rises++;
          if (near[i] && !near[i - 1]) decision.rises++;
        }
        if (s.onset === undefined) continue;
        const f0 = Math.floor(s.onset / F);
        for (const [sig, flags] of [
          [onset, on],
          [decision, near],
        ] as const) {
          let hit = -1;
          for (let i = f0; i < Math.min(flags.length, f0 + 100); i++)
            if (flags[i]) {
              hit = i;
              break;
            }
          // a signal already up at the onset (a false start still active) does not count as detection
          if (hit >= 0 && !(flags[f0 - 1] && hit === f0)) sig.latencies.push(((hit + 1) * F - s.onset) / 16);
          else sig.latencies.push(Number.POSITIVE_INFINITY);
        }
      }
      perRoom.push({
        room: ri,
        echo_db: room.echoPath?.gainDb,
        onset_echo_rises: onset.rises - before.o,
        decision_echo_rises: decision.rises - before.d,
        agent_only_s: (agentOnlyFrames - before.f) / 100,
      });
      console.error(`onset replay: room ${ri} done (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
  } finally {
    fe.dispose();
  }
  const lat = (s: Signals) => {
    const found = s.latencies.filter(Number.isFinite);
    return {
      p50: quantile(found, 0.5),
      p95: quantile(found, 0.95),
      missed: s.latencies.length - found.length,
    };
  };
  const minutes = agentOnlyFrames / 6000;
  return {
    bench: 'bargein',
    mode: 'onset-replay',
    quick,
    agent_only_s: +(agentOnlyFrames / 100).toFixed(1),
    bargeins: onset.latencies.length,
    onset_likely_ms: lat(onset),
    decision_ms: lat(decision),
    onset_echo_rises: onset.rises,
    onset_echo_rises_per_min: +(onset.rises / minutes).toFixed(2),
    decision_echo_rises: decision.rises,
    decision_echo_rises_per_min: +(decision.rises / minutes).toFixed(2),
    per_room: perRoom,
    wall_s: +((performance.now() - t0) / 1000).toFixed(1),
  };
}
