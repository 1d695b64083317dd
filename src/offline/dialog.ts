/**
 * The on-device dialog as a pure state machine: events in (prompt finished, an utterance heard,
 * no answer in time, the customer cut in), effects out (say this, listen, stop speaking, hand off).
 * No timers, no audio, no processes: the OfflineFlow executes the effects, tests call it directly.
 *
 * Phases: `speaking` (our prompt is playing), `listening` (waiting for an answer, with a timeout),
 * `idle` (listening without a timeout, after `$idle`), `done` (a final state: nothing more to say).
 */
import type { DialogFlowConfig, DialogStateConfig } from '../config/sections/offline.js';

export type DialogEffect =
  | { type: 'say'; state: string; text: string; prompt?: string }
  | { type: 'listen'; timeoutMs: number }
  | { type: 'stop-speaking' }
  | { type: 'handoff'; reason: string }
  | { type: 'idle' };

export type DialogPhase = 'off' | 'speaking' | 'listening' | 'idle' | 'done';

export interface TranscriptEntry {
  role: 'terminal' | 'customer';
  text: string;
  /** The intent an utterance was understood as (customer lines only). */
  intent?: string;
  atMs: number;
}

export class DialogMachine {
  private phase_: DialogPhase = 'off';
  private state_: string | undefined;
  private repeats = 0;
  /** Everything said while this machine ran, both sides, for the cloud session's context. */
  readonly transcript: TranscriptEntry[] = [];

  constructor(private readonly flow: DialogFlowConfig) {}

  get phase(): DialogPhase {
    return this.phase_;
  }
  get state(): string | undefined {
    return this.state_;
  }
  /** True when handing the conversation back would not cut anyone off: we are not speaking. */
  get atTurnBoundary(): boolean {
    return this.phase_ !== 'speaking';
  }

  /** Engage the flow: speak the start state's prompt. */
  start(nowMs: number): DialogEffect[] {
    this.repeats = 0;
    return this.enter(this.flow.start, nowMs, 'start');
  }

  /** Our prompt finished playing (not cut off). */
  promptFinished(_nowMs: number): DialogEffect[] {
    if (this.phase_ !== 'speaking') return [];
    const s = this.current();
    if (!s.listen) {
      this.phase_ = 'done';
      return [];
    }
    this.phase_ = 'listening';
    return [{ type: 'listen', timeoutMs: s.noInputMs }];
  }

  /** The customer started talking over our prompt: stop speaking, listen for what they say. */
  bargeIn(_nowMs: number): DialogEffect[] {
    if (this.phase_ !== 'speaking' || !this.current().listen) return [];
    this.phase_ = 'listening';
    return [{ type: 'stop-speaking' }, { type: 'listen', timeoutMs: this.current().noInputMs }];
  }

  /**
   * The recogniser returned an utterance; `intent` is undefined when it matched none. An answer
   * that arrives while we speak is a barge-in too (the recogniser can be faster than the gate).
   */
  heard(text: string, intent: string | undefined, nowMs: number): DialogEffect[] {
    if (this.phase_ === 'off') return [];
    this.transcript.push({ role: 'customer', text, intent, atMs: nowMs });
    if (this.phase_ === 'done') return [];
    const s = this.current();
    if (!s.listen) return [];
    const pre: DialogEffect[] = this.phase_ === 'speaking' ? [{ type: 'stop-speaking' }] : [];
    const target = intent === undefined ? undefined : s.on[intent];
    if (target === undefined) {
      // Out of grammar for this state: while idle stay quiet (it was not meant for us), else re-ask.
      if (this.phase_ === 'idle') return pre;
      return [...pre, ...this.miss(nowMs)];
    }
    this.repeats = target === '$repeat' ? this.repeats + 1 : 0;
    return [...pre, ...this.go(target, nowMs, `intent:${intent}`)];
  }

  /** The listening timeout ran out with no answer. */
  noInput(nowMs: number): DialogEffect[] {
    if (this.phase_ !== 'listening') return [];
    return this.miss(nowMs);
  }

  private miss(nowMs: number): DialogEffect[] {
    const s = this.current();
    this.repeats++;
    if (this.repeats > s.maxRepeats) {
      this.repeats = 0;
      return this.go(s.fallback ?? '$idle', nowMs, 'no-answer');
    }
    return this.go(s.noInput, nowMs, 'no-answer');
  }

  private go(target: string, nowMs: number, why: string): DialogEffect[] {
    if (target === '$idle') {
      this.phase_ = 'idle';
      return [{ type: 'idle' }];
    }
    if (target === '$repeat') return this.enter(this.state_ ?? this.flow.start, nowMs, why);
    return this.enter(target, nowMs, why);
  }

  private enter(name: string, nowMs: number, why: string): DialogEffect[] {
    const s = this.flow.states[name];
    if (!s) throw new Error(`dialog: no state "${name}"`); // checkFlow() rejects such configs at load
    this.state_ = name;
    this.phase_ = 'speaking';
    this.transcript.push({ role: 'terminal', text: s.say, atMs: nowMs });
    const out: DialogEffect[] = [
      { type: 'say', state: name, text: s.say, ...(s.prompt ? { prompt: s.prompt } : {}) },
    ];
    if (s.action === 'handoff') out.push({ type: 'handoff', reason: why });
    return out;
  }

  private current(): DialogStateConfig {
    return this.flow.states[this.state_ ?? this.flow.start];
  }
}

/** The kill-switch "flow": one fixed message, a hand-off, nothing to listen for. */
export function killSwitchFlow(message: string): DialogFlowConfig {
  return {
    start: 'killed',
    states: {
      killed: {
        say: message,
        action: 'handoff',
        on: {},
        listen: false,
        noInputMs: 8000,
        noInput: '$idle',
        maxRepeats: 0,
      },
    },
    intents: {},
  };
}
