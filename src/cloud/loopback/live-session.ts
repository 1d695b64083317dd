/**
 * One simulated GPT-Live session: session.start (strict: unknown fields rejected) → session.started
 * with expires_at; continuous input audio; the "model" takes its turn after the customer's speech
 * ends and yields by itself when the customer talks over it for longer than a backchannel, like the
 * real one; agent audio at real-time pace with output transcript deltas carrying start_ms/end_ms;
 * tools through responses delegation (response.event wrapping output_item.done function calls).
 *
 * Scripting convention: a session.instructions.append whose text starts with "Now" (e.g. the tool
 * runner's "Now ask the customer: …") makes the double speak its next reply at once, the way a
 * steered model would.
 */
import { base64ToInt16 } from '../pcm.js';
import { type SessionDeps, SimSession, type Stream } from './session-base.js';

const SESSION_KEYS = new Set(['model', 'instructions', 'input', 'audio', 'delegation', 'store']);

export interface LiveTurnTiming {
  /** RMS (float full scale) above which input counts as speech. */
  speechRms: number;
  /** Customer speech this long ends the agent's turn (the model yields). */
  yieldMs: number;
  /** Silence this long after customer speech → the model answers. */
  endOfTurnMs: number;
  /** Speech shorter than this is not a turn. */
  minTurnMs: number;
}

export const DEFAULT_LIVE_TIMING: LiveTurnTiming = {
  speechRms: 0.01,
  yieldMs: 450,
  endOfTurnMs: 500,
  minTurnMs: 150,
};

export class LiveSim extends SimSession {
  private started = false;
  private rate = 16000;
  private speaking?: Stream;
  private speechMs = 0;
  private silenceMs = 0;
  private expiresAt = 0;
  readonly instructionsAppended: string[] = [];

  constructor(
    d: SessionDeps,
    private readonly timing: LiveTurnTiming,
    private readonly lifetimeS: number,
  ) {
    super(d, 'live');
  }

  // biome-ignore lint/suspicious/noExplicitAny: wire events, read field by field with String()/Number()
  onEvent(e: Record<string, any> & { type: string }): void {
    if (e.type === 'session.input_audio.append') {
      const pcm = base64ToInt16(String(e.audio ?? ''));
      this.record(e.type, { samples: pcm.length });
      if (this.started) this.hear(pcm);
      return;
    }
    this.record(e.type, e);
    if (this.d.script.silent) return;
    if (!this.started && e.type !== 'session.start') {
      this.error('invalid_request_error', 'session_not_started', 'Send session.start first');
      return;
    }
    switch (e.type) {
      case 'session.start':
        this.startSession(e.session ?? {});
        return;
      case 'session.instructions.append':
        this.instructionsAppended.push(String(e.content));
        if (/^now\b/i.test(String(e.content)) && !this.speaking) this.speak();
        return;
      case 'response.item.create':
        return;
      case 'response.create':
        if (!this.speaking) this.speak();
        return;
      case 'session.close':
        this.send({ type: 'session.closed', reason: 'close_requested' });
        this.d.ws.close(1000, 'close_requested');
        return;
      default:
        this.error('invalid_request_error', 'unknown_event', `Unknown event type ${JSON.stringify(e.type)}`);
    }
  }

  private error(type: string, code: string, message: string): void {
    this.send({ type: 'error', error: { type, code, message } });
  }

  // biome-ignore lint/suspicious/noExplicitAny: wire event
  private startSession(s: Record<string, any>): void {
    const unknown = Object.keys(s).filter((k) => !SESSION_KEYS.has(k));
    if (unknown.length > 0) {
      this.error('invalid_request_error', 'unknown_parameter', `Unknown parameter: session.${unknown[0]}`);
      return;
    }
    if (typeof s.model !== 'string' || !s.model) {
      this.error('invalid_request_error', 'missing_required_parameter', 'session.model is required');
      return;
    }
    const fmt = s.audio?.format;
    if (fmt && fmt.type === 'audio/pcm') this.rate = fmt.rate === 24000 ? 24000 : 16000;
    this.started = true;
    this.expiresAt = Math.floor(Date.now() / 1000) + this.lifetimeS;
    this.send({
      type: 'session.started',
      session: { id: this.info.id, model: s.model, expires_at: this.expiresAt },
    });
  }

  /** Speech of the current burst began while the agent was talking (a backchannel unless it grows). */
  private overlapped = false;
  private yielded = false;

  /**
   * Energy-based listening: the model yields to real speech (longer than yieldMs) and answers when
   * the customer stops; a short burst over its own speech ("mm-hmm") is a backchannel, not a turn.
   */
  private hear(pcm: Int16Array): void {
    const ms = (pcm.length * 1000) / this.rate;
    this.info.inputMs += ms;
    if (this.d.script.silent) return;
    let sum = 0;
    for (let i = 0; i < pcm.length; i++) sum += (pcm[i] / 32768) ** 2;
    const rms = Math.sqrt(sum / Math.max(1, pcm.length));
    if (rms > this.timing.speechRms) {
      if (this.speechMs === 0) {
        this.overlapped = this.speaking !== undefined;
        this.yielded = false;
      }
      this.speechMs += ms;
      this.silenceMs = 0;
      if (this.speaking && this.speechMs >= this.timing.yieldMs) {
        this.stopStream(this.speaking);
        this.speaking = undefined;
        this.yielded = true;
      }
      return;
    }
    this.silenceMs += ms;
    if (this.silenceMs < this.timing.endOfTurnMs) return;
    const wasTurn = this.speechMs >= this.timing.minTurnMs && (!this.overlapped || this.yielded);
    this.speechMs = 0;
    if (!wasTurn) return;
    this.overlapped = false;
    const transcript = this.d.script.nextUserTranscript();
    if (transcript) this.send({ type: 'session.input_transcript.delta', delta: transcript });
    if (!this.speaking) this.speak();
  }

  private speak(): void {
    const reply = this.d.script.nextReply();
    if (reply.toolCall) {
      const item = {
        type: 'function_call',
        call_id: `call_${++this.seq}`,
        name: reply.toolCall.name,
        arguments: JSON.stringify(reply.toolCall.arguments),
      };
      this.send({
        type: 'response.event',
        event: { type: 'response.output_item.done', output_index: 0, item },
      });
      return;
    }
    const text = reply.text ?? '';
    const pcm = this.voiceFor(text, reply.durationMs, this.rate);
    const stream: Stream = { itemId: `out_${++this.seq}`, text, pcm, sent: 0, done: false };
    this.speaking = stream;
    const words = text.split(/(?<=\s)/);
    const totalMs = (pcm.length * 1000) / this.rate;
    let wordIdx = 0;
    this.stream(
      stream,
      this.rate,
      40,
      (delta, endMs) => {
        this.send({ type: 'session.output_audio.delta', delta });
        // Transcript words spread evenly over the audio, each sent when its audio is.
        while (wordIdx < words.length && ((wordIdx + 1) * totalMs) / words.length <= endMs + 1e-6) {
          const start = (wordIdx * totalMs) / words.length;
          this.send({
            type: 'session.output_transcript.delta',
            delta: words[wordIdx],
            start_ms: Math.round(start),
            end_ms: Math.round(start + totalMs / words.length),
          });
          wordIdx++;
        }
      },
      () => {
        if (this.speaking === stream) this.speaking = undefined;
      },
    );
  }

  expire(): void {
    this.stopStream(this.speaking);
    this.send({ type: 'session.closed', reason: 'expired' });
    this.d.ws.close(1000, 'expired');
  }

  override closed(): void {
    super.closed();
    this.stopStream(this.speaking);
  }
}
