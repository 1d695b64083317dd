/**
 * GPT-Live (`/v1/live/sessions`) event shapes, written from the public docs (see the design notes
 * in ../README.md): the `openai` package only carries them from 7.x, which needs Node 22. Only the
 * fields we send or read are listed; the server is strict about unknown fields in what WE send, so
 * client events here must never grow fields the API does not document.
 */

export type LiveAudioFormat =
  | { type: 'audio/pcm'; rate: 16000 | 24000 }
  | { type: 'audio/pcmu' }
  | { type: 'audio/pcma' };

export interface LiveInputMessage {
  type: 'message';
  role: 'user' | 'assistant';
  content: string;
}

export type LiveDelegation =
  | { type: 'client' }
  | {
      type: 'responses';
      responses: {
        model?: string;
        tools: Array<{
          type: 'function';
          name: string;
          description: string;
          parameters: Record<string, unknown>;
        }>;
      };
    };

// ---- client → server ----
export interface LiveSessionStart {
  type: 'session.start';
  session: {
    model: string;
    instructions?: string;
    input?: LiveInputMessage[];
    audio?: { format: LiveAudioFormat; output?: { voice?: string } };
    delegation?: LiveDelegation;
    store?: boolean;
  };
}
export interface LiveInputAudioAppend {
  type: 'session.input_audio.append';
  audio: string;
}
export interface LiveInstructionsAppend {
  type: 'session.instructions.append';
  content: string;
}
/** Responses delegation: hand a function result back. */
export interface LiveResponseItemCreate {
  type: 'response.item.create';
  item: { type: 'function_call_output'; call_id: string; output: string };
}
export interface LiveResponseCreate {
  type: 'response.create';
}
export interface LiveSessionClose {
  type: 'session.close';
}
export type LiveClientEvent =
  | LiveSessionStart
  | LiveInputAudioAppend
  | LiveInstructionsAppend
  | LiveResponseItemCreate
  | LiveResponseCreate
  | LiveSessionClose;

// ---- server → client ----
export interface LiveSessionStarted {
  type: 'session.started';
  session: { id: string; model: string; expires_at?: number };
}
export interface LiveOutputAudioDelta {
  type: 'session.output_audio.delta';
  delta: string;
}
export interface LiveTranscriptDelta {
  type: 'session.input_transcript.delta' | 'session.output_transcript.delta';
  delta: string;
  start_ms?: number;
  end_ms?: number;
}
export interface LiveDelegationCreated {
  type: 'session.delegation.created';
  delegation: { id: string };
}
/** Responses delegation: a wrapped Responses stream event; function calls arrive as output_item.done. */
export interface LiveResponseEvent {
  type: 'response.event';
  event: {
    type: string;
    item?: { type: string; call_id?: string; name?: string; arguments?: string };
  };
}
export interface LiveSessionClosed {
  type: 'session.closed';
  reason: 'close_requested' | 'expired' | 'content' | 'remote_hangup' | 'connection_lost';
}
export interface LiveUsageUpdated {
  type: 'session.usage.updated';
  usage: Record<string, number>;
}
export interface LiveError {
  type: 'error';
  error: { type: string; code?: string; message: string; client_event_id?: string };
}
export type LiveServerEvent =
  | LiveSessionStarted
  | LiveOutputAudioDelta
  | LiveTranscriptDelta
  | LiveDelegationCreated
  | LiveResponseEvent
  | LiveSessionClosed
  | LiveUsageUpdated
  | LiveError;
