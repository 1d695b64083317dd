/**
 * Per-conversation traces: turns, interruptions (true / false / backchannel), latencies and tool
 * calls, folded from the engine's and the tool runner's events (pure; no I/O). A conversation ends
 * after `idleMs` without anyone speaking; its summary goes on the bus (fleet telemetry) and, one
 * JSON line per conversation, to <stateDir>/traces/ — the fleet's retention sweep expires that
 * directory. No transcripts are kept here, only counts and timings.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ToolTrace } from '../tools/runner.js';
import type { EngineTrace } from './engine.js';

export interface ConversationSummary {
  startedAt: string;
  endedAt: string;
  provider: string;
  turns: number;
  interruptions: { true: number; false: number; backchannel: number };
  /** End of customer speech → first agent audio written to the device, ms. */
  eouToFirstAudioMs: number[];
  /** Pause → confirmation of real interruptions, ms. */
  bargeInConfirmMs: number[];
  tools: Array<{ tool: string; decision: string; outcome: string; durationMs: number }>;
  sessions: number;
}

export class SessionTraceRecorder {
  private cur?: ConversationSummary;
  private lastActivityFrame = 0;
  private lastTurnEndFrame = -1;
  private candidateFrame = -1;

  constructor(
    private readonly provider: string,
    private readonly frameMs: number,
    private readonly idleMs: number,
    private readonly onSummary: (s: ConversationSummary) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private conv(): ConversationSummary {
    if (!this.cur) {
      const t = this.now().toISOString();
      this.cur = {
        startedAt: t,
        endedAt: t,
        provider: this.provider,
        turns: 0,
        interruptions: { true: 0, false: 0, backchannel: 0 },
        eouToFirstAudioMs: [],
        bargeInConfirmMs: [],
        tools: [],
        sessions: 1,
      };
    }
    return this.cur;
  }

  engine(t: EngineTrace): void {
    const c = this.conv();
    this.lastActivityFrame = t.frame;
    switch (t.type) {
      case 'turn.end':
        if (t.committed) {
          c.turns++;
          this.lastTurnEndFrame = t.lastSpeechFrame;
        }
        return;
      case 'agent.first_audio':
        if (this.lastTurnEndFrame >= 0)
          c.eouToFirstAudioMs.push((t.frame - this.lastTurnEndFrame) * this.frameMs);
        this.lastTurnEndFrame = -1;
        return;
      case 'bargein.candidate':
        this.candidateFrame = t.frame;
        return;
      case 'bargein.confirmed':
        c.interruptions.true++;
        if (this.candidateFrame >= 0) c.bargeInConfirmMs.push((t.frame - this.candidateFrame) * this.frameMs);
        return;
      case 'bargein.released':
        c.interruptions[t.kind === 'backchannel' ? 'backchannel' : 'false']++;
        return;
      default:
        return;
    }
  }

  tool(t: ToolTrace): void {
    this.conv().tools.push({
      tool: t.tool,
      decision: t.decision,
      outcome: t.outcome,
      durationMs: Math.round(t.durationMs),
    });
  }

  sessionChanged(): void {
    if (this.cur) this.cur.sessions++;
  }

  /** Called with the current capture frame; closes the conversation after idleMs of quiet. */
  tick(frame: number): void {
    if (!this.cur || (frame - this.lastActivityFrame) * this.frameMs < this.idleMs) return;
    this.flush();
  }

  flush(): void {
    const c = this.cur;
    if (!c) return;
    this.cur = undefined;
    c.endedAt = this.now().toISOString();
    this.onSummary(c);
  }
}

/** Append a summary to <dir>/conversations-YYYY-MM-DD.jsonl (errors reported, never thrown). */
export async function storeSummary(
  dir: string,
  s: ConversationSummary,
  onError: (err: unknown) => void,
): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await appendFile(join(dir, `conversations-${s.endedAt.slice(0, 10)}.jsonl`), `${JSON.stringify(s)}\n`, {
      mode: 0o600,
    });
  } catch (err) {
    onError(err);
  }
}
