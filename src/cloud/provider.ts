/**
 * The RealtimeProvider boundary: the duplex engine and the session keeper talk to this, never to a
 * socket. Two adapters implement it (openai-realtime/, gpt-live/); tests run them against the
 * loopback double (loopback/), which speaks the same documented events as the real services.
 *
 * The events are provider-neutral on purpose: Live has no response ids, so its adapter synthesises
 * them (a new "response" starts when agent audio resumes after a gap), which lets the engine treat
 * "drop the rest of what was interrupted" the same way on both APIs.
 */

export type ProviderKind = 'openai-realtime' | 'gpt-live';

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface HistoryLine {
  role: 'user' | 'agent';
  text: string;
}

export interface SessionStartOptions {
  instructions: string;
  /** Recent conversation carried over from a rotated / lost session. */
  history: HistoryLine[];
  tools: ToolSpec[];
}

export type CloseReason = 'expired' | 'dropped' | 'server' | 'client' | 'auth' | 'content';

export type ProviderEvent =
  | {
      type: 'ready';
      sessionId: string /** epoch ms when the server ends the session, if known */;
      expiresAt?: number;
    }
  | { type: 'response.started'; responseId: string }
  /** Agent audio, PCM16 at provider.outputRate. The array is fresh (safe to keep). */
  | { type: 'audio'; responseId: string; pcm: Int16Array }
  | { type: 'response.done'; responseId: string; status: 'completed' | 'cancelled' | 'failed' | 'incomplete' }
  | { type: 'transcript'; role: 'user' | 'agent'; text: string; final: boolean }
  | { type: 'tool.call'; callId: string; name: string; arguments: string }
  /** A server `error` event; the session usually continues. */
  | { type: 'error'; code: string; message: string }
  /** Something the server sent that we could not parse or do not know; logged and skipped. */
  | { type: 'ignored'; reason: string; raw: string }
  /** A WebSocket ping went out / its pong came back (link health; no protocol meaning). */
  | { type: 'keepalive'; signal: 'ping' | 'pong' }
  | { type: 'closed'; reason: CloseReason; code?: number; detail?: string };

export type ProviderListener = (event: ProviderEvent) => void;

export interface InterruptInfo {
  responseId: string;
  /** Agent audio of that response that reached the DAC, ms. */
  playedMs: number;
  /** Agent audio of that response received from the server, ms. */
  receivedMs: number;
}

export interface RealtimeProvider {
  readonly kind: ProviderKind;
  /** Sample rate of PCM16 we send (sendAudio) and receive ('audio' events). */
  readonly inputRate: number;
  readonly outputRate: number;
  /** Realtime: the device decides turns (commit). Live: the model does. */
  readonly deviceDecidesTurns: boolean;
  on(listener: ProviderListener): () => void;
  /** Open the socket and configure the session; resolves on 'ready', rejects on failure. */
  connect(opts: SessionStartOptions): Promise<void>;
  /**
   * Echo-cancelled mic audio, PCM16 at inputRate (Live: send continuously, silence included).
   * Encoded before returning: the caller reuses the array.
   */
  sendAudio(pcm: Int16Array): void;
  /** End of the customer's turn: ask for an answer (Realtime: commit + response.create). */
  commitTurn(): void;
  /**
   * A confirmed barge-in. Realtime: response.cancel (if active) + conversation.item.truncate to
   * what was heard. Live: tell the model what the customer did not hear.
   */
  interrupt(info: InterruptInfo): void;
  /** Return a tool result through the provider's mechanism and let the model continue. */
  sendToolResult(callId: string, output: string): void;
  /** Have the agent say something now (asking for a confirmation, announcing a failure). */
  prompt(instruction: string): void;
  /**
   * Lines the model did not hear (e.g. the offline flow's exchange while the link was down) added to
   * the open session's context. Realtime: conversation items; Live (append-only): instructions.
   */
  addContext(lines: HistoryLine[]): void;
  close(): Promise<void>;
  readonly connected: boolean;
}

/** The sample count of `ms` at `rate`, and back; truncation works in whole ms. */
export const msOf = (samples: number, rate: number): number => (samples * 1000) / rate;
