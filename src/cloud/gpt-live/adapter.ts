/**
 * GPT-Live (`/v1/live/sessions`) adapter. Live is full duplex: the model listens while it speaks
 * and decides itself when to yield, so there is no commit, no cancel and no truncate. What the
 * device still owns is the loudspeaker: the engine ducks/stops playback locally, and this adapter
 * tells the model what the customer did not hear (session.instructions.append).
 *
 * Live agent audio has no response ids; we synthesise them: a "response" is a run of
 * session.output_audio.delta events, ended by a gap of `gapMs` without audio. That lets the engine
 * drop "the rest of what was interrupted" exactly as it does on Realtime.
 */

import { base64ToInt16, int16ToBase64 } from '../pcm.js';
import type { HistoryLine, InterruptInfo, RealtimeProvider, SessionStartOptions } from '../provider.js';
import { type EndpointOptions, JsonSocket, joinUrl } from '../socket.js';
import type { LiveClientEvent, LiveSessionStart } from './events.js';

export interface LiveOptions extends EndpointOptions {
  model: string;
  voice: string;
  /** One format both ways; 16 kHz matches the front-end, so no resampling. */
  rate: 16000 | 24000;
  /** Silence in the agent's audio stream that ends a synthesised response. */
  gapMs?: number;
}

/** Appended to the instructions: steers when the model yields (the docs' "Interruption policy:"). */
export const INTERRUPTION_POLICY =
  'Interruption policy: stop talking as soon as the customer starts a real sentence; keep talking through short acknowledgements like "mm-hmm" or "yeah".';

interface LiveResponse {
  id: string;
  receivedSamples: number;
  dropping: boolean;
  transcript: Array<{ text: string; atMs: number }>;
  firstStartMs?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: wire events, read field by field with String()/Number()
type Msg = { type: string } & Record<string, any>;

export class GptLiveProvider extends JsonSocket implements RealtimeProvider {
  readonly kind = 'gpt-live' as const;
  readonly inputRate: number;
  readonly outputRate: number;
  readonly deviceDecidesTurns = false;
  private current?: LiveResponse;
  private readonly recent: LiveResponse[] = [];
  private gapTimer?: NodeJS.Timeout;
  private seq = 0;

  constructor(private readonly opts: LiveOptions) {
    super(opts);
    this.inputRate = opts.rate;
    this.outputRate = opts.rate;
  }

  connect(start: SessionStartOptions): Promise<void> {
    this.endResponse();
    this.recent.length = 0;
    const session: LiveSessionStart['session'] = {
      model: this.opts.model,
      instructions: `${start.instructions}\n${INTERRUPTION_POLICY}`,
      audio: { format: { type: 'audio/pcm', rate: this.opts.rate }, output: { voice: this.opts.voice } },
    };
    if (start.history.length > 0) {
      session.input = start.history.map((h) => ({
        type: 'message' as const,
        role: h.role === 'user' ? ('user' as const) : ('assistant' as const),
        content: h.text,
      }));
    }
    if (start.tools.length > 0) {
      session.delegation = {
        type: 'responses',
        responses: {
          tools: start.tools.map((t) => ({
            type: 'function' as const,
            name: t.name,
            description: t.description,
            parameters: t.parameters,
          })),
        },
      };
    }
    return this.open(joinUrl(this.opts.baseUrl, 'live/sessions'), () =>
      this.sendEvent({ type: 'session.start', session }),
    );
  }

  private sendEvent(e: LiveClientEvent): void {
    this.send(e);
  }

  sendAudio(pcm: Int16Array): void {
    this.sendEvent({ type: 'session.input_audio.append', audio: int16ToBase64(pcm) });
  }

  /** The model takes turns by itself. */
  commitTurn(): void {}

  prompt(instruction: string): void {
    this.sendEvent({ type: 'session.instructions.append', content: instruction });
  }

  /** Live's context is append-only: what the model missed goes in as an instruction. */
  addContext(lines: HistoryLine[]): void {
    if (lines.length === 0) return;
    const said = lines.map((l) => `${l.role === 'user' ? 'Customer' : 'Terminal'}: ${l.text}`).join('\n');
    this.sendEvent({
      type: 'session.instructions.append',
      content: `While you were unreachable, the terminal's offline assistant had this exchange with the customer:\n${said}\nContinue from there.`,
    });
  }

  interrupt(info: InterruptInfo): void {
    const r =
      this.current?.id === info.responseId ? this.current : this.recent.find((x) => x.id === info.responseId);
    if (!r) return;
    r.dropping = true;
    const heard = r.transcript
      .filter((t) => t.atMs <= info.playedMs)
      .map((t) => t.text)
      .join('');
    const missed = r.transcript
      .filter((t) => t.atMs > info.playedMs)
      .map((t) => t.text)
      .join('');
    const seconds = (info.playedMs / 1000).toFixed(1);
    this.sendEvent({
      type: 'session.instructions.append',
      content:
        `The customer interrupted your last reply after ${seconds} s. They heard: "${heard.trim()}". ` +
        `They did NOT hear: "${missed.trim()}". Do not assume they know the part they did not hear.`,
    });
  }

  sendToolResult(callId: string, output: string): void {
    this.sendEvent({
      type: 'response.item.create',
      item: { type: 'function_call_output', call_id: callId, output },
    });
    this.sendEvent({ type: 'response.create' });
  }

  protected handle(m: Msg): void {
    switch (m.type) {
      case 'session.started': {
        const exp = Number(m.session?.expires_at);
        this.emit({
          type: 'ready',
          sessionId: String(m.session?.id ?? ''),
          expiresAt: Number.isFinite(exp) && exp > 0 ? exp * 1000 : undefined,
        });
        this.markReady();
        return;
      }
      case 'session.output_audio.delta': {
        if (typeof m.delta !== 'string') throw new Error('delta is not a string');
        const pcm = base64ToInt16(m.delta);
        const r = this.responseForAudio();
        r.receivedSamples += pcm.length;
        if (!r.dropping) this.emit({ type: 'audio', responseId: r.id, pcm });
        return;
      }
      case 'session.output_transcript.delta': {
        const r = this.current;
        if (r) {
          // start_ms may count from the session's or the reply's start: take it relative to the
          // reply's first word. Without it, the audio received so far is the best estimate.
          const receivedMs = (r.receivedSamples * 1000) / this.outputRate;
          if (typeof m.start_ms === 'number') r.firstStartMs ??= m.start_ms;
          const atMs = typeof m.start_ms === 'number' ? m.start_ms - (r.firstStartMs ?? 0) : receivedMs;
          r.transcript.push({ text: String(m.delta), atMs });
        }
        this.emit({ type: 'transcript', role: 'agent', text: String(m.delta), final: false });
        return;
      }
      case 'session.input_transcript.delta':
        this.emit({ type: 'transcript', role: 'user', text: String(m.delta), final: false });
        return;
      case 'response.event': {
        const ev = m.event;
        if (ev?.type === 'response.output_item.done' && ev.item?.type === 'function_call') {
          this.emit({
            type: 'tool.call',
            callId: String(ev.item.call_id),
            name: String(ev.item.name),
            arguments: String(ev.item.arguments ?? '{}'),
          });
        }
        return;
      }
      case 'session.closed':
        if (m.reason === 'expired') this.expiredSeen = true;
        return;
      case 'error':
        this.emit({
          type: 'error',
          code: String(m.error?.code ?? m.error?.type ?? 'unknown'),
          message: String(m.error?.message ?? ''),
        });
        return;
      case 'session.delegation.created':
      case 'session.usage.updated':
        return;
      default:
        this.emit({ type: 'ignored', reason: `unknown event ${m.type}`, raw: m.type });
    }
  }

  private responseForAudio(): LiveResponse {
    if (!this.current) {
      this.current = { id: `live-${++this.seq}`, receivedSamples: 0, dropping: false, transcript: [] };
      this.emit({ type: 'response.started', responseId: this.current.id });
    }
    clearTimeout(this.gapTimer);
    this.gapTimer = setTimeout(() => this.endResponse(), this.opts.gapMs ?? 300);
    return this.current;
  }

  private endResponse(): void {
    clearTimeout(this.gapTimer);
    const r = this.current;
    if (!r) return;
    this.current = undefined;
    this.recent.push(r);
    if (this.recent.length > 4) this.recent.shift();
    this.emit({ type: 'response.done', responseId: r.id, status: r.dropping ? 'cancelled' : 'completed' });
  }

  protected override onClosed(): void {
    this.endResponse();
  }
}
