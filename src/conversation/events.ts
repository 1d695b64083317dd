/**
 * Bus events of the conversation: engine traces (first agent audio, barge-ins true/false/backchannel,
 * turn ends), tool calls and the cloud link. Session traces and fleet telemetry subscribe to these.
 */
import type { ToolTrace } from '../tools/runner.js';
import type { EngineTrace } from './engine.js';
import type { ConversationSummary } from './session-trace.js';

declare module '../supervisor/bus.js' {
  interface BusEvents {
    'conversation.trace': EngineTrace;
    'conversation.tool': ToolTrace;
    /** A cloud session came up (start, retry, rotate) or went down (reason: expired, dropped…). */
    'conversation.link': { up: boolean; reason: string; generation: number };
    /** One finished conversation: turns, interruptions, latencies, tool calls (no transcripts). */
    'conversation.summary': ConversationSummary;
  }
}
