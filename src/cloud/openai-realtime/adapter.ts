/**
 * OpenAI Realtime (GA `/v1/realtime`) adapter. Event shapes are checked against the `openai`
 * package's type definitions at compile time (types only; the runtime client is `ws`).
 *
 * Turn-taking is the device's: `turn_detection: null`, so residual echo can never cancel a
 * response on the server; the engine commits the customer's turn and does barge-in itself
 * (response.cancel + conversation.item.truncate with what actually reached the DAC).
 */
import type {
  ConversationItemCreateEvent,
  ConversationItemTruncateEvent,
  InputAudioBufferAppendEvent,
  InputAudioBufferCommitEvent,
  RealtimeClientEvent,
  ResponseCancelEvent,
  ResponseCreateEvent,
  SessionUpdateEvent,
} from 'openai/resources/realtime/realtime';
import { base64ToInt16, int16ToBase64 } from '../pcm.js';
import type { HistoryLine, InterruptInfo, RealtimeProvider, SessionStartOptions } from '../provider.js';
import { type EndpointOptions, JsonSocket, joinUrl } from '../socket.js';

export const REALTIME_RATE = 24000;

export interface RealtimeOptions extends EndpointOptions {
  model: string;
  voice: string;
  /** Input transcription model (needed for voice confirmations of tools); '' disables. */
  transcriptionModel?: string;
}

interface ResponseTrack {
  itemId?: string;
  contentIndex: number;
  receivedSamples: number;
  dropping: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: wire events, read field by field with String()/Number()
type Msg = { type: string } & Record<string, any>;

export class OpenAIRealtimeProvider extends JsonSocket implements RealtimeProvider {
  readonly kind = 'openai-realtime' as const;
  readonly inputRate = REALTIME_RATE;
  readonly outputRate = REALTIME_RATE;
  readonly deviceDecidesTurns = true;
  private activeResponse?: string;
  private readonly responses = new Map<string, ResponseTrack>();
  /** response.create waiting for the active response to finish (the API allows one at a time). */
  private readonly pendingCreates: ResponseCreateEvent[] = [];
  private sessionId = '';
  private createSeq = 0;
  private pendingCreate?: ResponseCreateEvent;

  constructor(private readonly opts: RealtimeOptions) {
    super(opts);
  }

  connect(start: SessionStartOptions): Promise<void> {
    this.activeResponse = undefined;
    this.responses.clear();
    this.pendingCreate = undefined;
    this.pendingCreates.length = 0;
    const url = `${joinUrl(this.opts.baseUrl, 'realtime')}?model=${encodeURIComponent(this.opts.model)}`;
    return this.open(url, () => {
      const update: SessionUpdateEvent = {
        type: 'session.update',
        session: {
          type: 'realtime',
          output_modalities: ['audio'],
          instructions: start.instructions,
          audio: {
            input: {
              format: { type: 'audio/pcm', rate: REALTIME_RATE },
              turn_detection: null,
              ...(this.opts.transcriptionModel
                ? { transcription: { model: this.opts.transcriptionModel } }
                : {}),
            },
            output: { format: { type: 'audio/pcm', rate: REALTIME_RATE }, voice: this.opts.voice },
          },
          tools: start.tools.map((t) => ({
            type: 'function' as const,
            name: t.name,
            description: t.description,
            parameters: t.parameters,
          })),
          tool_choice: 'auto',
        },
      };
      this.sendEvent(update);
      for (const line of start.history) this.sendEvent(historyItem(line));
    });
  }

  private sendEvent(e: RealtimeClientEvent): void {
    this.send(e);
  }

  sendAudio(pcm: Int16Array): void {
    const e: InputAudioBufferAppendEvent = { type: 'input_audio_buffer.append', audio: int16ToBase64(pcm) };
    this.sendEvent(e);
  }

  commitTurn(): void {
    const commit: InputAudioBufferCommitEvent = { type: 'input_audio_buffer.commit' };
    this.sendEvent(commit);
    this.createResponse({ type: 'response.create' });
  }

  addContext(lines: HistoryLine[]): void {
    for (const line of lines) this.sendEvent(historyItem(line));
  }

  prompt(instruction: string): void {
    this.createResponse({ type: 'response.create', response: { instructions: instruction } });
  }

  private createResponse(e: ResponseCreateEvent): void {
    if (this.activeResponse) this.pendingCreates.push(e);
    else this.sendCreate(e);
  }

  /**
   * Send a response.create with our own event_id; 'pending' until response.created names the
   * response (a second create meanwhile would be refused). An error naming this event_id means no
   * response was created: refused because one is active → it waits for that one's response.done.
   */
  private sendCreate(e: ResponseCreateEvent): void {
    const create = { ...e, event_id: `create_${++this.createSeq}` };
    this.activeResponse = 'pending';
    this.pendingCreate = create;
    this.sendEvent(create);
  }

  interrupt(info: InterruptInfo): void {
    const track = this.responses.get(info.responseId);
    if (!track) return;
    track.dropping = true;
    if (this.activeResponse === info.responseId) {
      const cancel: ResponseCancelEvent = { type: 'response.cancel', response_id: info.responseId };
      this.sendEvent(cancel);
    }
    const receivedMs = (track.receivedSamples * 1000) / REALTIME_RATE;
    const endMs = Math.floor(Math.min(info.playedMs, receivedMs));
    // Nothing heard: the item holds nothing worth keeping; all heard: nothing to cut. Either way a
    // truncate would only risk an error (or the model repeating itself).
    if (track.itemId && endMs > 0 && endMs < Math.floor(receivedMs)) {
      const truncate: ConversationItemTruncateEvent = {
        type: 'conversation.item.truncate',
        item_id: track.itemId,
        content_index: track.contentIndex,
        audio_end_ms: endMs,
      };
      this.sendEvent(truncate);
    }
  }

  sendToolResult(callId: string, output: string): void {
    const item: ConversationItemCreateEvent = {
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: callId, output },
    };
    this.sendEvent(item);
    this.createResponse({ type: 'response.create' });
  }

  protected handle(m: Msg): void {
    switch (m.type) {
      case 'session.created':
        this.sessionId = String(m.session?.id ?? '');
        return;
      case 'session.updated':
        this.emit({ type: 'ready', sessionId: this.sessionId || String(m.session?.id ?? '') });
        this.markReady();
        return;
      case 'response.created': {
        const id = String(m.response.id);
        this.activeResponse = id;
        this.pendingCreate = undefined;
        this.responses.set(id, { contentIndex: 0, receivedSamples: 0, dropping: false });
        this.emit({ type: 'response.started', responseId: id });
        return;
      }
      case 'response.output_audio.delta': {
        const id = String(m.response_id);
        let track = this.responses.get(id);
        if (!track) {
          track = { contentIndex: 0, receivedSamples: 0, dropping: false };
          this.responses.set(id, track);
        }
        track.itemId ??= String(m.item_id);
        track.contentIndex = Number(m.content_index ?? 0);
        if (typeof m.delta !== 'string') throw new Error('delta is not a string');
        const pcm = base64ToInt16(m.delta);
        track.receivedSamples += pcm.length;
        if (!track.dropping) this.emit({ type: 'audio', responseId: id, pcm });
        return;
      }
      case 'response.output_audio_transcript.delta':
        this.emit({ type: 'transcript', role: 'agent', text: String(m.delta), final: false });
        return;
      case 'response.output_audio_transcript.done':
        this.emit({ type: 'transcript', role: 'agent', text: String(m.transcript), final: true });
        return;
      case 'conversation.item.input_audio_transcription.completed':
        this.emit({ type: 'transcript', role: 'user', text: String(m.transcript), final: true });
        return;
      case 'response.function_call_arguments.done':
        this.emit({
          type: 'tool.call',
          callId: String(m.call_id),
          name: String(m.name),
          arguments: String(m.arguments),
        });
        return;
      case 'response.done': {
        const id = String(m.response.id);
        if (this.activeResponse === id || this.activeResponse === 'unknown') this.activeResponse = undefined;
        const status = m.response.status;
        this.emit({
          type: 'response.done',
          responseId: id,
          status:
            status === 'cancelled' || status === 'failed' || status === 'incomplete' ? status : 'completed',
        });
        // Keep the track of a finished response: a barge-in may still truncate it while its
        // audio plays out (Realtime sends faster than real time).
        this.pruneTracks(id);
        if (!this.activeResponse) {
          const next = this.pendingCreates.shift();
          if (next) this.sendCreate(next);
        }
        return;
      }
      case 'error': {
        const code = String(m.error?.code ?? m.error?.type ?? 'unknown');
        if (code === 'session_expired') this.expiredSeen = true;
        const refused = this.pendingCreate;
        if (refused && m.error?.event_id === refused.event_id && this.activeResponse === 'pending') {
          this.pendingCreate = undefined;
          this.activeResponse = undefined;
          if (code === 'conversation_already_has_active_response') {
            // Another response is running (one we did not see start): wait for its response.done,
            // or retry after a second if none comes.
            this.activeResponse = 'unknown';
            this.pendingCreates.unshift(refused);
            setTimeout(() => this.retryUnknown(), 1000).unref();
          }
        }
        this.emit({ type: 'error', code, message: String(m.error?.message ?? '') });
        return;
      }
      case 'input_audio_buffer.committed':
      case 'input_audio_buffer.cleared':
      case 'conversation.item.created':
      case 'conversation.item.added':
      case 'conversation.item.done':
      case 'conversation.item.truncated':
      case 'response.output_item.added':
      case 'response.output_item.done':
      case 'response.content_part.added':
      case 'response.content_part.done':
      case 'response.output_audio.done':
      case 'response.function_call_arguments.delta':
      case 'rate_limits.updated':
        return;
      default:
        this.emit({ type: 'ignored', reason: `unknown event ${m.type}`, raw: m.type });
    }
  }

  private retryUnknown(): void {
    if (this.activeResponse !== 'unknown' || !this.connected) return;
    this.activeResponse = undefined;
    const next = this.pendingCreates.shift();
    if (next) this.sendCreate(next);
  }

  private pruneTracks(latest: string): void {
    if (this.responses.size <= 8) return;
    for (const id of this.responses.keys()) {
      if (id !== latest && this.responses.size > 8) this.responses.delete(id);
    }
  }

  protected override onClosed(): void {
    this.activeResponse = undefined;
    this.pendingCreate = undefined;
    this.pendingCreates.length = 0;
  }
}

/** A transcript line as a conversation item (history at connect, context added later). */
function historyItem(line: HistoryLine): ConversationItemCreateEvent {
  return line.role === 'user'
    ? {
        type: 'conversation.item.create',
        item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: line.text }] },
      }
    : {
        type: 'conversation.item.create',
        item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: line.text }] },
      };
}
