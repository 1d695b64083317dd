/**
 * `npm run bench -- bargein [--quick] [--speedup N] [--onset-prob P] [--double-talk-onset]`
 * `npm run bench -- bargein --onset-replay [--quick]`: the front-end's barge-in signals alone over
 * many minutes of agent speech (bench/conversation/onset-replay.ts).
 *
 * Many scripted interruptions at several echo levels, through the room simulator (acoustic double)
 * with the real front-end (AEC + Silero + echo-aware decision), the duplex engine, the real
 * adapters and the loopback cloud double. Agent and customer speak espeak-ng speech. Episode kinds:
 *  - bargein: the customer interrupts 0.8–2.5 s into a reply with a real sentence;
 *  - first-syllable: the customer starts within 60 ms of the agent's first audible sample;
 *  - backchannel: "mm-hmm" / "yeah" (≤ 400 ms) during a reply — must not stop it;
 *  - agent-only: nobody talks — any stop is a self-interruption from echo.
 * Reaction = customer speech onset at the simulated mic (ground truth) → last non-silent sample at
 * the simulated DAC. Truncation error = |audio_end_ms sent| − audio of that reply actually audible at
 * the DAC|. Definitions in src/conversation/README.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { floatToInt16, LinearResampler } from '../src/cloud/pcm.js';
import { FrontendPipeline } from '../src/frontend/pipeline.js';
import { ConversationHarness } from './conversation/harness.js';
import { runOnsetReplay } from './conversation/onset-replay.js';
import {
  firstAudibleFrom,
  firstNonSilent,
  lastAudibleBeforeQuiet,
  lastNonSilent,
  quantile,
  vadDecisionAt,
} from './conversation/score.js';
import { AGENT_LINES, AGENT_VOICES, CUSTOMER_LINES, CUSTOMER_VOICES, speakCached } from './corpus/speech.js';

type Kind = 'bargein' | 'first-syllable' | 'backchannel' | 'agent-only';
/** Spoken fast (espeak-ng -s 280) so each stays ≤ ~400 ms; the lengths used are reported. */
const BACKCHANNELS = ['yeah', 'mm-hmm', 'okay', 'uh-huh', 'right'];

interface Tally {
  reaction: number[];
  vad: number[];
  onset: number[];
  hold: number[];
  holdBy: Record<string, number>;
  liveInstructions: { confirmed: number; appended: number };
  truncErr: number[];
  eouToAudio: number[];
  resumeMs: number[];
  firstSyllable: { n: number; stopped: number };
  backchannels: number;
  backchannelMs: number[];
  backchannelStops: number;
  falseStops: number;
  falseStopsResumedWhole: number;
  selfInterruptions: number;
  echoFalsePauses: number;
  echoPauseMs: number[];
  echoPausesBy: Record<string, number>;
  agentOnlyMs: number;
  agentOnly: number;
  bargeins: number;
  missed: number;
}

const newTally = (): Tally => ({
  reaction: [],
  vad: [],
  onset: [],
  hold: [],
  holdBy: {},
  liveInstructions: { confirmed: 0, appended: 0 },
  truncErr: [],
  eouToAudio: [],
  resumeMs: [],
  firstSyllable: { n: 0, stopped: 0 },
  backchannels: 0,
  backchannelMs: [],
  backchannelStops: 0,
  falseStops: 0,
  falseStopsResumedWhole: 0,
  selfInterruptions: 0,
  echoFalsePauses: 0,
  echoPauseMs: [],
  echoPausesBy: {},
  agentOnlyMs: 0,
  agentOnly: 0,
  bargeins: 0,
  missed: 0,
});

/** The agent's voice for the double: espeak-ng at 16 kHz, resampled to what the API sends. */
function agentVoice(voice: string) {
  return (text: string, rate: number) => {
    const x = speakCached(text, voice);
    return floatToInt16(rate === 16000 ? x : new LinearResampler(16000, rate).process(x));
  };
}

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function episodeRun(
  h: ConversationHarness,
  kind: Kind,
  t: Tally,
  r: () => number,
  i: number,
  live: boolean,
): Promise<void> {
  const agentText = `${AGENT_LINES[i % AGENT_LINES.length]} ${AGENT_LINES[(i + 3) % AGENT_LINES.length]}`;
  h.cloud.script.replies.push({ text: agentText });
  const tracesBefore = h.traces.length;
  const truncsBefore = h.cloud.sent('conversation.item.truncate').length;
  /** Live: what the engine told the model the customer did not hear (not the bench's own prompts). */
  const notHeard = () =>
    h.cloud
      .sent('session.instructions.append')
      .filter((e) => String(e.body.content).includes('did NOT hear'));
  const appendsBefore = notHeard().length;
  const firstAudios = () => h.traces.slice(tracesBefore).filter((x) => x.type === 'agent.first_audio');
  // Start from quiet (a Live double may still be answering a stray turn), and ask again if the
  // model did not take the prompt (Live ignores it while it is speaking).
  await h.until(() => h.session.engine.state === 'idle', 15_000);
  const promptAt = h.sample;
  let spoke = false;
  for (let attempt = 0; attempt < 3 && !spoke; attempt++) {
    h.session.keeper.current?.prompt('Now say your next line.');
    spoke = await h.until(() => firstAudios().length > 0, 4000);
  }
  if (!spoke) throw new Error(`episode ${i}: the agent never spoke`);
  await h.until(() => firstAudibleFrom(h, promptAt) >= 0, 500);
  const agentStart = firstAudibleFrom(h, promptAt);
  const since = (type: string) => h.traces.slice(tracesBefore).filter((x) => x.type === type);
  if (kind === 'agent-only') {
    t.agentOnly++;
    await h.until(() => since('agent.done').length > 0, 15_000);
    t.selfInterruptions += since('bargein.confirmed').length;
    const cands = since('bargein.candidate');
    const rels = since('bargein.released');
    t.echoFalsePauses += cands.length;
    for (const c of cands)
      if (c.type === 'bargein.candidate') t.echoPausesBy[c.by] = (t.echoPausesBy[c.by] ?? 0) + 1;
    for (let k = 0; k < cands.length && k < rels.length; k++)
      t.echoPauseMs.push((rels[k].sample - cands[k].sample) / 16);
    const done = since('agent.done')[0];
    if (done) t.agentOnlyMs += (done.sample - agentStart) / 16;
    if (process.env.BARGEIN_DEBUG)
      for (const c of cands) {
        const f = Math.floor(c.sample / 160);
        console.error(
          'cand',
          c.sample / 16,
          'near',
          Array.from(h.nearEndLikely.subarray(f - 3, f + 30)).join(''),
          'onset',
          Array.from(h.onsetLikely.subarray(f - 3, f + 30)).join(''),
        );
      }
    if (process.env.BARGEIN_DEBUG)
      console.error(
        'agent-only',
        agentStart / 16,
        JSON.stringify(h.traces.slice(tracesBefore).map((x) => [x.type, x.sample / 16])),
      );
    return;
  }
  const delayMs = kind === 'first-syllable' ? 60 * r() : 800 + 1700 * r();
  const targetSample = agentStart + Math.round(delayMs * 16);
  await h.run(Math.max(0, (targetSample - h.sample) / 16));
  const voice = CUSTOMER_VOICES[i % CUSTOMER_VOICES.length];
  const utter =
    kind === 'backchannel'
      ? speakCached(BACKCHANNELS[i % BACKCHANNELS.length], voice, 280)
      : speakCached(CUSTOMER_LINES[i % CUSTOMER_LINES.length], voice);
  const gain = 0.5 + 0.5 * r();
  const scaled = utter.map((v) => v * gain);
  if (kind !== 'backchannel') h.cloud.script.replies.push({ text: 'Okay.' });
  const start = h.say(scaled);
  const onset = start + firstNonSilent(scaled);
  const end = start + lastNonSilent(scaled);
  if (kind === 'backchannel') {
    t.backchannels++;
    t.backchannelMs.push(scaled.length / 16);
    await h.until(() => since('agent.done').length > 0 || since('bargein.confirmed').length > 0, 20_000);
    const stopped = since('bargein.confirmed').length > 0;
    if (stopped) t.backchannelStops++;
    const released = since('bargein.released');
    if (released.length > 0) {
      t.falseStops++;
      const cand = since('bargein.candidate');
      for (let k = 0; k < released.length && k < cand.length; k++)
        t.resumeMs.push((released[k].sample - cand[k].sample) / 16);
      const id = (firstAudios()[0] as { responseId: string }).responseId;
      const pb = h.session.engine.playback(id);
      if (!stopped && pb && pb.played === pb.received) t.falseStopsResumedWhole++;
    }
    return;
  }
  t.bargeins++;
  if (kind === 'first-syllable') t.firstSyllable.n++;
  await h.until(() => since('bargein.confirmed').length > 0, 3000);
  const confirmed = since('bargein.confirmed');
  if (confirmed.length === 0) {
    t.missed++;
    await h.until(() => since('agent.done').length > 0, 15_000);
    return;
  }
  if (kind === 'first-syllable') t.firstSyllable.stopped++;
  await h.run(200);
  const last = lastAudibleBeforeQuiet(h, onset);
  t.reaction.push(Math.max(0, (last - onset) / 16));
  const vadAt = vadDecisionAt(h, onset, end + 16000);
  if (vadAt >= 0) t.vad.push((vadAt - onset) / 16);
  const onsetAt = vadDecisionAt(h, onset, end + 16000, h.onsetLikely);
  if (onsetAt >= 0) t.onset.push((onsetAt - onset) / 16);
  // onset → the engine's pause (Realtime) / duck (Live) command; trace samples are frame ends
  const held = since('bargein.candidate').find((c) => c.sample >= onset);
  if (held?.type === 'bargein.candidate') {
    t.hold.push((held.sample - onset) / 16);
    t.holdBy[held.by] = (t.holdBy[held.by] ?? 0) + 1;
  }
  if (live) {
    t.liveInstructions.confirmed++;
    await h.run(100);
    t.liveInstructions.appended += notHeard().length - appendsBefore;
  }
  if (!live) {
    // The truncate the double received for this reply, vs what the DAC actually played of it.
    const tr = h.cloud.sent('conversation.item.truncate')[truncsBefore];
    if (tr) {
      // Truth: agent samples the simulated DAC played between the reply's first audible sample and
      // the stop (the room's own counter; pauses for false alarms do not count).
      const F = h.dev.config.frameSamples;
      const f0 = Math.floor(agentStart / F);
      const fStop = Math.floor(confirmed[0].sample / F);
      const heard = h.playedAt[fStop] - (f0 > 0 ? h.playedAt[f0 - 1] : 0);
      t.truncErr.push(Math.abs(Number(tr.body.audio_end_ms) - heard / 16));
    }
  }
  // The customer finishes; the reply after the interruption: end of speech → first audible sample.
  await h.until(() => h.sample > end + 2000 * 16 || (h.sample > end && firstAudibleFrom(h, end) >= 0), 6000);
  await h.until(() => firstAudibleFrom(h, end) >= 0, 3000);
  const reply = firstAudibleFrom(h, end);
  if (reply >= 0) t.eouToAudio.push((reply - end) / 16);
  await h.until(() => h.session.engine.atTurnBoundary, 6000);
}

function summarise(t: Tally) {
  return {
    bargein_reaction_ms_p50: quantile(t.reaction, 0.5),
    bargein_reaction_ms_p95: quantile(t.reaction, 0.95),
    bargein_reaction_ms_all: t.reaction.map((x) => Math.round(x)),
    self_interruptions: t.selfInterruptions,
    false_stop_resumed_pct:
      t.falseStops === 0 ? null : +((100 * t.falseStopsResumedWhole) / t.falseStops).toFixed(1),
    false_stop_resume_ms_p95: quantile(t.resumeMs, 0.95),
    backchannel_stops: t.backchannelStops,
    backchannel_ms_max: t.backchannelMs.length ? Math.round(Math.max(...t.backchannelMs)) : null,
    truncation_error_ms_max: t.truncErr.length ? +Math.max(...t.truncErr).toFixed(2) : null,
    eou_to_first_audio_ms_p50: quantile(t.eouToAudio, 0.5),
    vad_speech_start_ms_p50: quantile(t.vad, 0.5),
    vad_speech_start_ms_p95: quantile(t.vad, 0.95),
    onset_likely_ms_p50: quantile(t.onset, 0.5),
    onset_likely_ms_p95: quantile(t.onset, 0.95),
    hold_ms_p50: quantile(t.hold, 0.5),
    hold_ms_p95: quantile(t.hold, 0.95),
    hold_by: t.holdBy,
    first_syllable_bargeins: t.firstSyllable,
    echo_false_pauses: t.echoFalsePauses,
    echo_false_pauses_by: t.echoPausesBy,
    echo_false_pause_ms_max: t.echoPauseMs.length ? Math.max(...t.echoPauseMs) : null,
    agent_only_s: +(t.agentOnlyMs / 1000).toFixed(1),
    counts: {
      bargeins: t.bargeins,
      missed: t.missed,
      backchannels: t.backchannels,
      agent_only: t.agentOnly,
      truncations: t.truncErr.length,
    },
  };
}

const SCHEDULE: Kind[] = [
  'agent-only',
  'bargein',
  'backchannel',
  'first-syllable',
  'bargein',
  'backchannel',
  'bargein',
  'agent-only',
];

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  if (args.includes('--onset-replay')) return runOnsetReplay(quick);
  const si = args.indexOf('--speedup');
  const speedup = si >= 0 ? Number(args[si + 1]) : quick ? 4 : 3;
  const onsetOnDoubleTalk = args.includes('--double-talk-onset');
  const oi = args.indexOf('--onset-prob');
  const onsetProb = oi >= 0 ? Number(args[oi + 1]) : undefined;
  const echoLevels = quick ? [-6, 0] : [-12, -6, 0];
  const episodes = quick ? 4 : SCHEDULE.length;
  const frontend = new FrontendPipeline();
  const dir = await mkdtemp(join(tmpdir(), 'vt-bargein-'));
  const realtime = newTally();
  const live = newTally();
  const t0 = performance.now();
  try {
    for (const [li, echoDb] of echoLevels.entries()) {
      for (const provider of ['openai-realtime', 'gpt-live'] as const) {
        if (provider === 'gpt-live' && li > 0 && quick) continue;
        const tally = provider === 'gpt-live' ? live : realtime;
        frontend.reset();
        const h = new ConversationHarness({
          provider,
          frontend,
          speedup,
          auditDir: join(dir, `${provider}-${li}`),
          room: {
            rate: 16000,
            seed: 11 + li,
            echoPath: { rt60: 0.3 + 0.1 * li, delayMs: 8 + 10 * li, gainDb: echoDb },
            noise: { type: 'pink', levelDbfs: -60 },
          },
          loopback: { agentVoice: agentVoice(AGENT_VOICES[li % AGENT_VOICES.length]) },
          bargeIn: { onsetOnDoubleTalk, ...(onsetProb !== undefined ? { onsetProb } : {}) },
        });
        await h.start();
        try {
          const r = rng(100 + li);
          const n = provider === 'gpt-live' ? Math.min(episodes, 4) : episodes;
          for (let i = 0; i < n; i++) {
            const kind = SCHEDULE[(i + (quick ? 0 : li)) % SCHEDULE.length];
            await episodeRun(h, kind, tally, r, li * 100 + i, provider === 'gpt-live');
            await h.run(300);
          }
        } finally {
          await h.stop();
        }
        console.error(
          `bargein: ${provider} echo ${echoDb} dB done (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
        );
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return {
    bench: 'bargein',
    quick,
    speedup,
    onset_on_double_talk: onsetOnDoubleTalk,
    onset_prob: onsetProb ?? 'default',
    echo_levels_db: echoLevels,
    ...summarise(realtime),
    bargein_available_after_agent_start_ms:
      realtime.firstSyllable.n > 0 && realtime.firstSyllable.stopped === realtime.firstSyllable.n ? 0 : null,
    live: { ...summarise(live), instructions_appended: live.liveInstructions },
    wall_s: +((performance.now() - t0) / 1000).toFixed(1),
  };
}
