/**
 * The `offline` component: owns link health, the mode decision (cloud | offline | killed), the
 * grammar recogniser process, the local voice and the kill switch, and runs the on-device flow
 * when the cloud cannot serve. See README.md for the design.
 *
 * Wiring (what others call):
 *  - the cloud side feeds `linkSignals` (watchProvider() / attachWebSocketProbe());
 *  - the audio side: `attachDevice(device)` (mic frames + loudspeaker), and — once the front-end runs
 *    — `feedCleanFrame()` with echo-cancelled audio instead of the built-in echo gate;
 *  - the fleet: `setKillSwitch()`, or its `fleet.killSwitch` bus event.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AudioDevice, FramePair } from '../audio/device.js';
import { type DialogFlowConfig, dialogFlowSchema, type OfflineConfig } from '../config/sections/offline.js';
import { Redactor } from '../observability/redaction.js';
import type { Component, ComponentContext, ComponentHealth } from '../supervisor/component.js';
import { conversationLockFor, type ReleaseFn } from '../supervisor/conversation-lock.js';
import { DEFAULT_FLOWS } from './default-flows.js';
import { killSwitchFlow, type TranscriptEntry } from './dialog.js';
import { EchoGate } from './echo-gate.js';
import type { OfflineHistoryLine, OfflineMode } from './events.js';
import './events.js';
import { FlowRunner } from './flow-runner.js';
import { buildGrammar, type IntentGrammar, missingWords } from './grammar.js';
import { HandoffOutputs } from './handoff.js';
import { type KillSwitchState, KillSwitchStore } from './kill-switch.js';
import { LinkHealth, type LinkSignals, type LinkVerdict } from './link-health.js';
import { nextMode } from './mode.js';
import { GrammarRecogniser } from './recogniser.js';
import { DeviceSpeechOut, type SpeechOut } from './speech-out.js';
import { LocalVoice } from './voice.js';

/** A cloud turn or customer speech within this long means a conversation is going on. */
const ACTIVE_WINDOW_MS = 60_000;
const TICK_MS = 50;
/** How long after our prompt stops its echo can still be in the room (reverb + device buffers). */
const ECHO_TAIL_MS = 300;
/** After a finished flow, speech after this much quiet is treated as a new person. */
const NEXT_PERSON_AFTER_MS = 30_000;

export interface OfflineComponentOptions {
  /** The audio device (else looked up: a component named 'audio' with a `device`). */
  device?: AudioDevice;
  /** Time source (ms, monotonic); tests may pass their own. */
  now?: () => number;
}

/** Resolve the configured flow: site flows override the built-in ones of the same name. */
export function resolveFlow(cfg: OfflineConfig): DialogFlowConfig {
  const raw =
    (cfg.flows as Record<string, unknown>)[cfg.flow] ?? (DEFAULT_FLOWS as Record<string, unknown>)[cfg.flow];
  if (!raw) throw new Error(`offline.flow: no flow named "${cfg.flow}"`);
  return dialogFlowSchema.parse(raw);
}

export class OfflineComponent implements Component {
  readonly name = 'offline';
  private ctx?: ComponentContext;
  private cfg?: OfflineConfig;
  private redactor?: Redactor;
  private link?: LinkHealth;
  private verdict: LinkVerdict = { state: 'offline', reason: 'not started' };
  private mode: OfflineMode = 'cloud';
  private modeReason = '';
  private flow?: DialogFlowConfig;
  private grammar?: IntentGrammar;
  private recogniser?: GrammarRecogniser;
  private voice?: LocalVoice;
  private handoffOut?: HandoffOutputs;
  private killStore?: KillSwitchStore;
  private runner?: FlowRunner;
  private out?: SpeechOut;
  private device?: AudioDevice;
  private gate?: EchoGate;
  /** Gating of the front-end's echo-cancelled audio (its own near-end decision). */
  private cleanGate?: EchoGate;
  private lastSpeakingAt = -Infinity;
  private lastMic?: Float32Array;
  private frontendActive = false;
  private demoOwnsSpeaker = false;
  private lastActivity = -Infinity;
  private lockRelease?: ReleaseFn;
  private offlineTranscript: TranscriptEntry[] = [];
  private handoffs = 0;
  private lastHandoff?: string;
  private problems: string[] = [];
  private unsub: (() => void)[] = [];
  private readonly now: () => number;
  private readonly onFrame = (f: FramePair) => this.frame(f);

  constructor(private readonly opts: OfflineComponentOptions = {}) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** What a provider adapter reports into (see provider-watch.ts). Every call also counts as activity. */
  get linkSignals(): LinkSignals {
    const link = this.link;
    if (!link) throw new Error('offline component not started');
    return this.signals;
  }

  /**
   * One stable facade for the providers' whole life: it forwards to the current LinkHealth, so a
   * restart of this component (supervisor backoff) never leaves a provider talking to a dead object.
   * Every call about a response also counts as conversation activity.
   */
  private readonly signals: LinkSignals = (() => {
    const fwd =
      <K extends keyof LinkSignals>(k: K, activity = false) =>
      (nowMs: number, reason?: string) => {
        if (activity) this.lastActivity = this.now();
        (this.link?.[k] as ((n: number, r?: string) => void) | undefined)?.call(this.link, nowMs, reason);
      };
    return {
      connected: fwd('connected'),
      closed: fwd('closed') as LinkSignals['closed'],
      connectFailed: fwd('connectFailed') as LinkSignals['connectFailed'],
      serverEvent: fwd('serverEvent'),
      pingSent: fwd('pingSent'),
      pong: fwd('pong'),
      responseExpected: fwd('responseExpected', true),
      responseStarted: fwd('responseStarted', true),
      responseDone: fwd('responseDone'),
    };
  })();

  get currentMode(): OfflineMode {
    return this.mode;
  }
  get linkState(): LinkVerdict {
    return this.verdict;
  }
  get killSwitch(): KillSwitchState {
    return this.store().get();
  }

  /** Turn the AI off (or on again) for this terminal; persisted before it takes effect. */
  setKillSwitch(on: boolean, reason?: string): KillSwitchState {
    const s = this.store().set(on, reason);
    this.decide(on ? `kill switch on${reason ? `: ${reason}` : ''}` : 'kill switch off');
    return s;
  }

  async start(ctx: ComponentContext): Promise<void> {
    this.ctx = ctx;
    const cfg = ctx.config.offline;
    this.cfg = cfg;
    this.redactor = new Redactor({ patterns: ctx.config.fleet.redaction.patterns });
    this.problems = [];
    this.killStore = new KillSwitchStore(ctx.config.supervisor.stateDir || join(tmpdir(), 'voiceterm-state'));
    if (this.killStore.loadError)
      ctx.logger.warn({ err: this.killStore.loadError }, 'kill switch state unreadable: holding the AI off');
    // Kept across restarts of this component: the link's state is a fact about the world, and the
    // providers keep reporting into it.
    this.link ??= new LinkHealth(
      cfg.link,
      this.now(),
      ctx.config.cloud.provider === 'none' ? 'offline' : 'online',
    );
    this.handoffOut = new HandoffOutputs(cfg.handoff);
    this.unsub.push(
      ctx.bus.on('fleet.killSwitch', ({ on, reason }) => {
        this.store().adopt(on, reason);
        this.decide(on ? 'kill switch on (fleet)' : 'kill switch off (fleet)');
      }),
    );
    const lookupDevice = () =>
      this.opts.device ?? ctx.lookup<Component & { device?: AudioDevice }>('audio')?.device;
    const device = lookupDevice();
    // The audio component may reopen or replace its device: follow it.
    this.unsub.push(
      ctx.bus.on('audio.device', ({ state }) => {
        const d = lookupDevice();
        if (state === 'running' && d && d !== this.device) this.attachDevice(d);
      }),
    );
    const rate = device?.config.rate ?? 16000;
    this.voice = new LocalVoice({ ...cfg.speech, rate });
    // The room simulator's demo plays a canned conversation through the same loudspeaker: the
    // offline flow would talk over it (and a barge-in flush would cut it), so it stays out of the way.
    this.demoOwnsSpeaker =
      !this.opts.device && ctx.config.audio.backend === 'room' && ctx.config.audio.room.demo;
    if (this.demoOwnsSpeaker)
      ctx.logger.info(
        'room demo owns the loudspeaker: the offline flow stays silent (kill switch still speaks)',
      );
    if (cfg.enabled) this.startFlow(ctx, cfg);
    if (device) this.attachDevice(device);
    else this.problems.push('no audio device: the flow runs without loudspeaker or microphone');
    ctx.every('offline.link', TICK_MS, () => this.tick());
    ctx.every('offline.recogniser', 250, () => this.recogniser?.checkAlive(this.now()));
    this.decide('start');
  }

  private startFlow(ctx: ComponentContext, cfg: OfflineConfig): void {
    this.flow = resolveFlow(cfg);
    this.grammar = buildGrammar(this.flow.intents);
    // The dictionary is 3.5 MB: check it off the start path.
    const grammar = this.grammar;
    readFile(cfg.recogniser.dict, 'utf8')
      .then((text) => {
        const missing = missingWords(grammar, text);
        if (missing.length)
          this.problems.push(`words not in the dictionary (never recognised): ${missing.join(', ')}`);
      })
      .catch((e: Error) => this.problems.push(`dictionary unreadable: ${e.message}`));
    const workDir = join(ctx.config.supervisor.stateDir || tmpdir(), 'offline');
    mkdirSync(workDir, { recursive: true });
    const jsgfPath = join(workDir, `${cfg.flow.replace(/[^A-Za-z0-9_-]/g, '_')}.gram`);
    writeFileSync(jsgfPath, this.grammar.jsgf);
    const rec = new GrammarRecogniser({ ...cfg.recogniser, jsgfPath, workDir });
    rec.on('result', (text) => this.utterance(text));
    rec.on('restarted', (why) => {
      ctx.metrics.inc(`offline.recogniser_${why}`);
      ctx.logger.warn({ why, stats: rec.stats() }, 'recogniser restarted');
    });
    rec.start();
    this.recogniser = rec;
    // Synthesise every prompt now: the first offline words must not wait for espeak-ng.
    const texts = [
      ...Object.values(this.flow.states).map((s) => [s.say, s.prompt] as const),
      [cfg.killSwitch.message, undefined] as const,
    ];
    for (const [text, prompt] of texts)
      this.voice
        ?.clip(text, prompt)
        .catch((e: Error) => ctx.logger.warn({ err: e.message }, 'prompt not prepared'));
  }

  /** Use this device's mic frames and loudspeaker (called at start, or later by the audio side). */
  attachDevice(device: AudioDevice): void {
    this.device?.off('frame', this.onFrame);
    this.device = device;
    this.out = new DeviceSpeechOut(device);
    this.gate = new EchoGate({ frameSamples: device.config.frameSamples });
    device.on('frame', this.onFrame);
  }

  /**
   * Echo-cancelled audio from the front-end (16 kHz frames). Once this is called, the built-in echo
   * gate steps aside: the canceller's output carries no prompt echo and its nearEnd is better.
   */
  feedCleanFrame(clean: Float32Array, rate: number, nearEnd: boolean, speechStart: boolean): void {
    this.frontendActive = true;
    const now = this.now();
    if (this.out?.speaking) this.lastSpeakingAt = now;
    // Our prompt (plus its reverberant tail) is the far end: only near-end speech passes meanwhile.
    // The device's reference says exactly when sound was at the DAC; without it, our own clock.
    const far = this.gate ? this.gate.farActive : now - this.lastSpeakingAt < ECHO_TAIL_MS;
    if (this.cleanGate?.feed.length !== clean.length)
      this.cleanGate = new EchoGate({ frameSamples: clean.length });
    // With nothing of ours in the room the raw microphone is the better input: the canceller's
    // residual suppressor colours speech enough to cost words ("talk to a person" → "pardon").
    const raw = this.lastMic;
    const useRaw =
      !far && raw !== undefined && raw.length === clean.length && this.device?.config.rate === rate;
    this.cleanGate.gate(useRaw ? raw : clean, far, nearEnd);
    if (speechStart) this.speechStarted();
    if (nearEnd) this.runner?.speechActivity();
    if (this.listening() && this.cleanGate.hasFeed) this.recogniser?.feed(this.cleanGate.feed, rate);
  }

  private frame(f: FramePair): void {
    if (this.frontendActive) {
      // Kept for feedCleanFrame(), which the front-end calls right after this frame's processing:
      // the raw mic, and whether our own sound was at the DAC lately (the gate's reference tracking).
      if (this.lastMic?.length !== f.mic.length) this.lastMic = new Float32Array(f.mic.length);
      this.lastMic.set(f.mic);
      this.gate?.process(f.mic, f.ref);
      return;
    }
    if (!this.gate || !this.device) return;
    const gate = this.gate;
    gate.process(f.mic, f.ref);
    if (gate.speechStart) this.speechStarted();
    if (gate.nearEnd) this.runner?.speechActivity();
    if (this.listening() && gate.hasFeed) this.recogniser?.feed(gate.feed, this.device.config.rate);
  }

  /** The recogniser only hears audio while the offline flow serves (no CPU spent otherwise). */
  private listening(): boolean {
    return this.mode === 'offline' && !this.demoOwnsSpeaker;
  }

  private speechStarted(): void {
    const quietMs = this.now() - this.lastActivity;
    this.lastActivity = this.now();
    if (this.mode === 'cloud') return;
    // A finished flow (handed off) and a long quiet: this is likely the next person — start over.
    if (this.runner?.machine.phase === 'done' && quietMs > NEXT_PERSON_AFTER_MS) this.disengage();
    if (!this.runner) this.engage(this.mode);
    else if (this.out?.speaking) this.runner.bargeIn();
  }

  private conversationActive(): boolean {
    if (this.now() - this.lastActivity <= ACTIVE_WINDOW_MS) return true;
    return !!this.ctx && conversationLockFor(this.ctx.bus).isHeld();
  }

  private utterance(text: string): void {
    const ctx = this.ctx;
    if (!ctx || this.mode !== 'offline') return;
    // What a customer says can hold a card or phone number: the journal gets it redacted.
    ctx.logger.info({ text: this.redactor?.redact(text) }, 'offline: heard');
    this.lastActivity = this.now();
    // Someone talks to an offline terminal that was silent: the flow starts (its prompt is cut at
    // once if what they said already answers it).
    if (!this.runner) this.engage('offline');
    this.runner?.heard(text);
  }

  private tick(): void {
    const link = this.link;
    const ctx = this.ctx;
    if (!link || !ctx) return;
    const v = link.evaluate(this.now());
    if (v.state !== this.verdict.state) {
      ctx.logger.info({ from: this.verdict.state, to: v.state, reason: v.reason }, 'cloud link');
      ctx.bus.emit('offline.link', { state: v.state, reason: v.reason });
    }
    this.verdict = v;
    this.decide(v.reason);
  }

  private decide(reason: string): void {
    const ctx = this.ctx;
    const cfg = this.cfg;
    if (!ctx || !cfg) return;
    const killed = cfg.killSwitch.forced || this.store().get().on;
    const atBoundary = this.runner ? this.runner.atTurnBoundary : true;
    const link = cfg.enabled || killed ? this.verdict.state : 'online'; // disabled: never take over
    const next = nextMode(this.mode, { link, killSwitch: killed, atTurnBoundary: atBoundary });
    if (next === this.mode) return;
    const prev = this.mode;
    this.mode = next;
    this.modeReason = reason;
    ctx.logger.info({ from: prev, to: next, reason }, 'offline: mode');
    ctx.bus.emit('offline.mode', { mode: next, reason });
    this.disengage();
    // Speak at once if someone is being served; otherwise wait until a person starts talking
    // (speechStarted / utterance): an empty lane at boot needs no announcement.
    if (next !== 'cloud' && this.conversationActive()) this.engage(next);
    if (next === 'cloud' && this.offlineTranscript.length) {
      const history: OfflineHistoryLine[] = this.offlineTranscript.map((t) => ({
        role: t.role === 'customer' ? 'user' : 'agent',
        text: t.text,
      }));
      this.offlineTranscript = [];
      ctx.bus.emit('offline.resume', { history });
    }
  }

  private engage(kind: 'offline' | 'killed'): void {
    const ctx = this.ctx;
    const cfg = this.cfg;
    const voice = this.voice;
    if (!ctx || !cfg || !voice) return;
    if (kind === 'offline' && this.demoOwnsSpeaker) return;
    const flow = kind === 'killed' ? killSwitchFlow(cfg.killSwitch.message) : this.flow;
    if (!flow) return;
    this.lockRelease ??= conversationLockFor(ctx.bus).acquire(
      kind === 'killed' ? 'kill-switch message' : 'offline flow',
    );
    const runner = new FlowRunner(
      flow,
      kind === 'killed' ? undefined : this.grammar,
      {
        voice,
        out: this.out,
        now: this.now,
        handoff: (why, transcript) => this.handoff(why, transcript),
        onSay: (state, text, source) => ctx.bus.emit('offline.prompt', { state, text, source }),
        onStopSpeaking: () => {
          ctx.metrics.inc('offline.bargeins');
          ctx.logger.info({ state: runner.machine.state }, 'offline: barge-in, prompt stopped');
        },
        onError: (err) => ctx.logger.warn({ err: err.message }, 'offline flow'),
      },
      kind === 'killed' ? { handoffReason: 'kill-switch' } : {},
    );
    this.runner = runner;
    runner.start();
  }

  private disengage(): void {
    const r = this.runner;
    if (!r) return;
    this.runner = undefined;
    r.close();
    this.offlineTranscript.push(...r.transcript);
    this.lockRelease?.();
    this.lockRelease = undefined;
  }

  private handoff(reason: string, transcript: TranscriptEntry[]): void {
    const ctx = this.ctx;
    if (!ctx || !this.handoffOut) return;
    const text = [...this.offlineTranscript, ...transcript].map((t) => `${t.role}: ${t.text}`).join('\n');
    const at = new Date().toISOString();
    this.handoffs++;
    this.lastHandoff = `${at} ${reason}`;
    ctx.metrics.inc('offline.handoffs');
    ctx.bus.emit('offline.handoff', { reason, mode: this.mode, transcript: text, at });
    ctx.bus.emit('fleet.event', {
      kind: 'offline.handoff',
      data: { reason, mode: this.mode, transcript: text, at },
    });
    this.handoffOut
      .trigger({ reason, transcript: text })
      .then((o) => ctx.logger.info({ reason, ...o }, 'hand-off'))
      .catch((e: Error) => ctx.logger.warn({ err: e.message }, 'hand-off outputs failed'));
  }

  private store(): KillSwitchStore {
    if (!this.killStore) throw new Error('offline component not started');
    return this.killStore;
  }

  async stop(): Promise<void> {
    for (const u of this.unsub.splice(0)) u();
    this.disengage();
    this.device?.off('frame', this.onFrame);
    this.device = undefined;
    this.out = undefined;
    await this.recogniser?.stop();
    this.recogniser = undefined;
    await this.handoffOut?.release();
  }

  health(): ComponentHealth {
    const rec = this.recogniser?.stats();
    const recOk = !this.cfg?.enabled || !!rec?.running || (rec?.starts ?? 0) > 0;
    return {
      healthy: recOk && this.problems.length === 0,
      summary: `link ${this.verdict.state}, ${this.mode}${this.mode !== 'cloud' && this.runner ? ` (${this.runner.machine.state}/${this.runner.machine.phase})` : ''}`,
      details: {
        link: this.verdict,
        mode: this.mode,
        modeReason: this.modeReason,
        killSwitch: this.killStore?.get(),
        recogniser: rec,
        handoffs: this.handoffs,
        lastHandoff: this.lastHandoff,
        echoGateCouplingDb: this.gate?.couplingDb,
        demoOwnsSpeaker: this.demoOwnsSpeaker || undefined,
        problems: this.problems,
      },
    };
  }
}
