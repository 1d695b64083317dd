/**
 * One simulated OpenAI Realtime (GA) session: session.created/updated, input_audio_buffer.*,
 * response.create → agent audio deltas faster than real time (as the service sends them),
 * response.cancel, conversation.item.truncate validated against the audio actually sent (an
 * audio_end_ms beyond it is an error, as on the real service), function calls, session expiry.
 */
import { base64ToInt16 } from '../pcm.js';
import { SimSession, type Stream } from './session-base.js';

const RATE = 24000;

interface Active {
  id: string;
  stream?: Stream;
}

export class RealtimeSim extends SimSession {
  private active?: Active;
  private readonly assistantItems = new Map<string, Stream>();

  start(): void {
    this.send({
      type: 'session.created',
      session: { id: this.info.id, type: 'realtime', object: 'realtime.session' },
    });
  }

  // biome-ignore lint/suspicious/noExplicitAny: wire events, read field by field with String()/Number()
  onEvent(e: Record<string, any> & { type: string }): void {
    if (e.type === 'input_audio_buffer.append') {
      const pcm = base64ToInt16(String(e.audio ?? ''));
      this.info.inputMs += (pcm.length * 1000) / RATE;
      this.record(e.type, { samples: pcm.length });
      return;
    }
    this.record(e.type, e);
    if (this.d.script.silent) return;
    this.currentEventId = typeof e.event_id === 'string' ? e.event_id : null;
    switch (e.type) {
      case 'session.update':
        if (e.session?.type !== 'realtime') {
          this.error(
            'invalid_request_error',
            'missing_required_parameter',
            'session.type must be "realtime"',
          );
          return;
        }
        this.send({ type: 'session.updated', session: { id: this.info.id, ...e.session } });
        return;
      case 'input_audio_buffer.commit': {
        const itemId = `item_user_${++this.seq}`;
        this.send({ type: 'input_audio_buffer.committed', item_id: itemId, previous_item_id: null });
        const transcript = this.d.script.nextUserTranscript();
        if (transcript)
          this.send({
            type: 'conversation.item.input_audio_transcription.completed',
            item_id: itemId,
            content_index: 0,
            transcript,
          });
        return;
      }
      case 'input_audio_buffer.clear':
        this.send({ type: 'input_audio_buffer.cleared' });
        return;
      case 'conversation.item.create':
        this.send({ type: 'conversation.item.created', item: { id: `item_${++this.seq}`, ...e.item } });
        return;
      case 'response.create':
        this.respond();
        return;
      case 'response.cancel':
        this.cancel();
        return;
      case 'conversation.item.truncate':
        this.truncate(e);
        return;
      default:
        this.error('invalid_request_error', 'unknown_event', `Unknown event type ${JSON.stringify(e.type)}`);
    }
  }

  /** The client event being handled: errors name it (error.event_id), as the service does. */
  private currentEventId: string | null = null;

  private error(type: string, code: string, message: string): void {
    this.send({ type: 'error', error: { type, code, message, event_id: this.currentEventId } });
  }

  private respond(): void {
    if (this.active) {
      this.error(
        'invalid_request_error',
        'conversation_already_has_active_response',
        'Conversation already has an active response',
      );
      return;
    }
    const reply = this.d.script.nextReply();
    const id = `resp_${++this.seq}`;
    this.active = { id };
    this.send({
      type: 'response.created',
      response: { id, object: 'realtime.response', status: 'in_progress', output: [] },
    });
    if (reply.toolCall) {
      const callId = `call_${++this.seq}`;
      const args = JSON.stringify(reply.toolCall.arguments);
      const item = {
        id: `item_${++this.seq}`,
        type: 'function_call',
        call_id: callId,
        name: reply.toolCall.name,
        arguments: args,
      };
      this.send({ type: 'response.output_item.added', response_id: id, output_index: 0, item });
      this.send({
        type: 'response.function_call_arguments.done',
        response_id: id,
        item_id: item.id,
        output_index: 0,
        call_id: callId,
        name: item.name,
        arguments: args,
      });
      this.send({ type: 'response.output_item.done', response_id: id, output_index: 0, item });
      this.finish('completed');
      return;
    }
    const text = reply.text ?? '';
    const itemId = `item_${++this.seq}`;
    const stream: Stream = {
      itemId,
      text,
      pcm: this.voiceFor(text, reply.durationMs, RATE),
      sent: 0,
      done: false,
    };
    this.active.stream = stream;
    this.assistantItems.set(itemId, stream);
    this.send({
      type: 'response.output_item.added',
      response_id: id,
      output_index: 0,
      item: { id: itemId, type: 'message', role: 'assistant', content: [] },
    });
    this.send({
      type: 'response.output_audio_transcript.delta',
      response_id: id,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      delta: text,
    });
    this.stream(
      stream,
      RATE,
      100,
      (delta) =>
        this.send({
          type: 'response.output_audio.delta',
          response_id: id,
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          delta,
        }),
      () => {
        this.send({
          type: 'response.output_audio.done',
          response_id: id,
          item_id: itemId,
          output_index: 0,
          content_index: 0,
        });
        this.send({
          type: 'response.output_audio_transcript.done',
          response_id: id,
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          transcript: text,
        });
        this.finish('completed');
      },
    );
  }

  private finish(status: 'completed' | 'cancelled'): void {
    const a = this.active;
    if (!a) return;
    this.active = undefined;
    this.send({
      type: 'response.done',
      response: { id: a.id, object: 'realtime.response', status, output: [] },
    });
  }

  private cancel(): void {
    if (!this.active) {
      this.error(
        'invalid_request_error',
        'response_cancel_not_active',
        'Cancellation failed: no active response found',
      );
      return;
    }
    this.stopStream(this.active.stream);
    this.finish('cancelled');
  }

  // biome-ignore lint/suspicious/noExplicitAny: wire event
  private truncate(e: Record<string, any>): void {
    const stream = this.assistantItems.get(String(e.item_id));
    if (!stream) {
      this.error('invalid_request_error', 'item_not_found', `Item ${e.item_id} not found`);
      return;
    }
    const sentMs = (stream.sent * 1000) / RATE;
    const end = Number(e.audio_end_ms);
    if (!Number.isInteger(end) || end < 0) {
      this.error('invalid_request_error', 'invalid_value', 'audio_end_ms must be a non-negative integer');
      return;
    }
    if (end > sentMs) {
      this.error(
        'invalid_request_error',
        'invalid_value',
        `audio_end_ms ${end} is greater than the audio duration ${Math.floor(sentMs)} ms`,
      );
      return;
    }
    this.send({
      type: 'conversation.item.truncated',
      item_id: e.item_id,
      content_index: e.content_index ?? 0,
      audio_end_ms: end,
    });
  }

  /** The 60-minute cap, reached: error session_expired, then close 1001 (as the service does). */
  expire(): void {
    this.stopStream(this.active?.stream);
    this.send({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        code: 'session_expired',
        message: 'Your session hit the maximum duration of 60 minutes.',
      },
    });
    this.d.ws.close(1001, 'session_expired');
  }

  override closed(): void {
    super.closed();
    this.stopStream(this.active?.stream);
  }
}
