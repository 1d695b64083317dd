import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ConversationSummary,
  SessionTraceRecorder,
  storeSummary,
} from '../../src/conversation/session-trace.js';

describe('session traces', () => {
  it('folds engine and tool events into one summary per conversation, closed after idle', async () => {
    const out: ConversationSummary[] = [];
    const r = new SessionTraceRecorder('openai-realtime', 10, 3000, (s) => out.push(s));
    r.engine({ type: 'turn.end', frame: 150, lastSpeechFrame: 100, committed: true });
    r.engine({ type: 'agent.first_audio', frame: 170, responseId: '1:a' });
    r.engine({ type: 'bargein.candidate', frame: 300, responseId: '1:a', by: 'onset' });
    r.engine({ type: 'bargein.released', frame: 330, kind: 'backchannel', heldMs: 300 });
    r.engine({ type: 'bargein.candidate', frame: 400, responseId: '1:a', by: 'onset' });
    r.engine({ type: 'bargein.confirmed', frame: 450, responseId: '1:a', playedMs: 2000, receivedMs: 4000 });
    r.engine({ type: 'bargein.candidate', frame: 600, responseId: '1:b', by: 'onset' });
    r.engine({ type: 'bargein.released', frame: 610, kind: 'false', heldMs: 100 });
    r.tool({ callId: 'c', tool: 'add_item', decision: 'allow', outcome: 'ok', durationMs: 3.4 });
    r.sessionChanged();
    r.tick(700); // 0.9 s quiet: still the same conversation
    expect(out).toHaveLength(0);
    r.tick(1000);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      provider: 'openai-realtime',
      turns: 1,
      interruptions: { true: 1, false: 1, backchannel: 1 },
      eouToFirstAudioMs: [700],
      bargeInConfirmMs: [500],
      tools: [{ tool: 'add_item', decision: 'allow', outcome: 'ok', durationMs: 3 }],
      sessions: 2,
    });
    const dir = await mkdtemp(join(tmpdir(), 'vt-trace-'));
    try {
      await storeSummary(join(dir, 'traces'), out[0], (e) => {
        throw e;
      });
      const text = await readFile(
        join(dir, 'traces', `conversations-${out[0].endedAt.slice(0, 10)}.jsonl`),
        'utf8',
      );
      expect(JSON.parse(text)).toEqual(out[0]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
