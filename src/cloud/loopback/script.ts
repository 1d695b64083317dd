/**
 * What a test or bench can tell the loopback double to do, and what it records. Shared by the
 * Realtime and Live session simulations.
 */

export interface ScriptedReply {
  /** What the agent says (also sent as transcript deltas). */
  text?: string;
  /** Audio length; default from the text length. */
  durationMs?: number;
  /** Instead of speaking, call a tool. */
  toolCall?: { name: string; arguments: Record<string, unknown> };
}

export interface RecordedClientEvent {
  sessionId: string;
  api: 'realtime' | 'live';
  /** ms since the server started. */
  at: number;
  type: string;
  /** The event without audio payloads (audio appends record only their length). */
  body: Record<string, unknown>;
}

export interface SessionInfo {
  id: string;
  api: 'realtime' | 'live';
  /** Ms of input audio received. */
  inputMs: number;
  /** Ms of agent audio sent, per assistant item / response. */
  sentMs: Map<string, number>;
  /** Errors sent to the client (codes). */
  errors: string[];
  open: boolean;
}

export class LoopbackScript {
  readonly replies: ScriptedReply[] = [];
  readonly userTranscripts: string[] = [];
  defaultReply: ScriptedReply = { text: 'Sure, what else can I get you today?' };
  /** Stop answering (no events at all) while keeping sockets open. */
  silent = false;

  nextReply(): ScriptedReply {
    return this.replies.shift() ?? this.defaultReply;
  }

  nextUserTranscript(): string {
    return this.userTranscripts.shift() ?? '';
  }
}
