/**
 * Executes a DialogMachine's effects: speaks through SpeechOut with the LocalVoice, runs the
 * no-answer timer, hands utterances from the recogniser to the machine, and calls the hand-off.
 * The machine decides; this only does. One runner per engagement of the offline flow (or the kill
 * switch message); `generation` makes late callbacks from a previous engagement harmless.
 */
import type { DialogFlowConfig } from '../config/sections/offline.js';
import { type DialogEffect, DialogMachine, type TranscriptEntry } from './dialog.js';
import { type IntentGrammar, intentOf } from './grammar.js';
import type { SpeechOut } from './speech-out.js';
import type { LocalVoice } from './voice.js';

export interface FlowRunnerDeps {
  voice: LocalVoice;
  out: SpeechOut | undefined;
  now: () => number;
  /** Called for a hand-off effect, with the transcript so far. */
  handoff: (reason: string, transcript: TranscriptEntry[]) => void;
  /** Called when a prompt starts playing (the bench measures link loss → this). */
  onSay?: (state: string, text: string, source: string) => void;
  /** Called when a prompt is cut off by the customer (barge-in). */
  onStopSpeaking?: () => void;
  onError?: (err: Error) => void;
}

export class FlowRunner {
  readonly machine: DialogMachine;
  private timer: NodeJS.Timeout | undefined;
  private sayGen = 0;
  private closed = false;
  private readonly handoffReason: string | undefined;

  constructor(
    flow: DialogFlowConfig,
    private readonly grammar: IntentGrammar | undefined,
    private readonly d: FlowRunnerDeps,
    /** Overrides the hand-off reason (the kill switch hands off as "kill-switch"). */
    opts: { handoffReason?: string } = {},
  ) {
    this.machine = new DialogMachine(flow);
    this.handoffReason = opts.handoffReason;
  }

  start(): void {
    this.apply(this.machine.start(this.d.now()));
  }

  /** A recognised utterance. */
  heard(text: string): void {
    if (this.closed) return;
    const intent = this.grammar ? intentOf(this.grammar, text) : undefined;
    this.apply(this.machine.heard(text, intent, this.d.now()));
  }

  /** The customer started talking over a prompt. */
  bargeIn(): void {
    if (this.closed) return;
    this.apply(this.machine.bargeIn(this.d.now()));
  }

  /** The customer is talking: do not time out under them. */
  speechActivity(): void {
    if (this.closed || this.machine.phase !== 'listening' || !this.timer) return;
    this.timer.refresh();
  }

  get atTurnBoundary(): boolean {
    return this.machine.atTurnBoundary;
  }

  get transcript(): TranscriptEntry[] {
    return this.machine.transcript;
  }

  /** End this engagement (back to the cloud, or kill switch replaced it). Stops any prompt. */
  close(): void {
    this.closed = true;
    this.sayGen++;
    clearTimeout(this.timer);
    if (this.d.out?.speaking) this.d.out.stop();
  }

  private apply(effects: DialogEffect[]): void {
    for (const e of effects) {
      if (this.closed) return;
      switch (e.type) {
        case 'say':
          clearTimeout(this.timer);
          this.say(e.state, e.text, e.prompt);
          break;
        case 'listen':
          clearTimeout(this.timer);
          this.timer = setTimeout(() => this.apply(this.machine.noInput(this.d.now())), e.timeoutMs);
          break;
        case 'stop-speaking':
          this.sayGen++;
          if (this.d.out?.speaking) this.d.onStopSpeaking?.();
          this.d.out?.stop();
          break;
        case 'handoff':
          this.d.handoff(this.handoffReason ?? e.reason, this.machine.transcript);
          break;
        case 'idle':
          clearTimeout(this.timer);
          break;
      }
    }
  }

  private say(state: string, text: string, prompt: string | undefined): void {
    const gen = ++this.sayGen;
    const out = this.d.out;
    this.d.voice
      .clip(text, prompt)
      .then(async ({ samples, source, error }) => {
        if (gen !== this.sayGen || this.closed) return;
        if (error) this.d.onError?.(new Error(`prompt "${prompt}": ${error}; synthesised instead`));
        this.d.onSay?.(state, text, source);
        // No loudspeaker (audio component down): the flow still advances, as if it had been said.
        const end = out ? await out.play(samples) : 'finished';
        if (gen !== this.sayGen || this.closed || end !== 'finished') return;
        this.apply(this.machine.promptFinished(this.d.now()));
      })
      .catch((err: Error) => {
        this.d.onError?.(err);
        if (gen === this.sayGen && !this.closed) this.apply(this.machine.promptFinished(this.d.now()));
      });
  }
}
