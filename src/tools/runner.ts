/**
 * ToolRunner: what happens when the model calls a tool. Validates the arguments, applies the
 * policy (deny / allow / confirm), asks the customer for a spoken yes before a `confirm` tool runs
 * (the answer comes from the input transcript), runs with a timeout and bounded retries, returns
 * the result through the provider, and appends every call to the audit log (arguments redacted).
 */
import type { AuditEntry, AuditLog } from './audit-log.js';
import { classifyAnswer, decide, type ToolDecision, type ToolPolicyConfig } from './policy.js';
import type { ToolRegistry } from './registry.js';

export interface ToolCall {
  callId: string;
  name: string;
  arguments: string;
}

export type ToolTrace = {
  callId: string;
  tool: string;
  decision: ToolDecision;
  outcome: AuditEntry['outcome'];
  durationMs: number;
};

export interface ToolRunnerDeps {
  registry: ToolRegistry;
  policy: ToolPolicyConfig;
  audit: AuditLog;
  redact: <T>(value: T) => T;
  timeoutMs: number;
  retries: number;
  confirmTimeoutMs: number;
  /** Provider: return a result to the model (and let it continue). */
  reply: (callId: string, output: string) => void;
  /** Provider: have the agent say something now. */
  ask: (instruction: string) => void;
  onTrace?: (t: ToolTrace) => void;
  now?: () => number;
}

interface Pending {
  call: ToolCall;
  args: Record<string, unknown>;
  question: string;
  asked: number;
  startedAt: number;
  timer: NodeJS.Timeout;
}

export class ToolRunner {
  private pending?: Pending;
  private readonly now: () => number;

  constructor(private readonly d: ToolRunnerDeps) {
    this.now = d.now ?? (() => performance.now());
  }

  /** A confirmation question is waiting for the customer's answer. */
  get awaitingConfirmation(): boolean {
    return this.pending !== undefined;
  }

  async handle(call: ToolCall, session?: string): Promise<void> {
    const t0 = this.now();
    const tool = this.d.registry.get(call.name);
    const decision = decide(call.name, tool !== undefined, this.d.policy);
    const base = { tool: call.name, callId: call.callId, decision, session };
    if (decision === 'deny') {
      this.respond(call, { ok: false, error: `the tool ${call.name} is not permitted on this terminal` });
      return this.audit({
        ...base,
        args: this.rawArgs(call),
        outcome: 'denied',
        attempts: 0,
        durationMs: this.now() - t0,
      });
    }
    const parsed = this.d.registry.parse(call.name, call.arguments);
    if (!parsed.ok) {
      this.respond(call, { ok: false, error: `invalid arguments: ${parsed.error}` });
      return this.audit({
        ...base,
        args: this.rawArgs(call),
        outcome: 'invalid',
        error: parsed.error,
        attempts: 0,
        durationMs: this.now() - t0,
      });
    }
    if (decision === 'allow') return this.run(call, parsed.args, decision, t0, undefined, session);
    if (this.pending) {
      this.respond(call, { ok: false, error: 'another confirmation is in progress; try again after it' });
      return this.audit({
        ...base,
        args: this.d.redact(parsed.args),
        outcome: 'declined',
        error: 'busy',
        attempts: 0,
        durationMs: 0,
      });
    }
    const question = tool?.confirmQuestion?.(parsed.args) ?? `Should I ${call.name.replace(/_/g, ' ')}?`;
    this.pending = {
      call,
      args: parsed.args,
      question,
      asked: 1,
      startedAt: t0,
      timer: setTimeout(() => void this.resolveConfirmation('timeout', session), this.d.confirmTimeoutMs),
    };
    this.d.ask(
      `Now ask the customer: "${question}" Then wait for their yes or no; do not call the tool again.`,
    );
  }

  /** A final transcript of the customer's speech: the answer to a pending confirmation, if any. */
  onCustomerSaid(text: string, session?: string): void {
    const p = this.pending;
    if (!p || !text.trim()) return;
    const answer = classifyAnswer(text);
    if (answer === 'unclear' && p.asked < 2) {
      p.asked++;
      this.d.ask(`Now ask the customer again, clearly: "${p.question}" A yes or a no, please.`);
      return;
    }
    void this.resolveConfirmation(answer, session);
  }

  /** The session was replaced or lost: a question asked there cannot be answered here. */
  cancelPending(): void {
    const p = this.pending;
    if (!p) return;
    clearTimeout(p.timer);
    this.pending = undefined;
    void this.audit({
      tool: p.call.name,
      callId: p.call.callId,
      decision: 'confirm',
      confirmation: 'timeout',
      args: this.d.redact(p.args),
      outcome: 'declined',
      error: 'session ended',
      attempts: 0,
      durationMs: this.now() - p.startedAt,
    });
  }

  private async resolveConfirmation(
    answer: 'yes' | 'no' | 'unclear' | 'timeout',
    session?: string,
  ): Promise<void> {
    const p = this.pending;
    if (!p) return;
    clearTimeout(p.timer);
    this.pending = undefined;
    if (answer === 'yes') return this.run(p.call, p.args, 'confirm', p.startedAt, 'yes', session);
    this.respond(p.call, {
      ok: false,
      error: answer === 'timeout' ? 'the customer did not confirm' : 'the customer declined; do not do it',
    });
    await this.audit({
      tool: p.call.name,
      callId: p.call.callId,
      decision: 'confirm',
      confirmation: answer,
      args: this.d.redact(p.args),
      outcome: 'declined',
      attempts: 0,
      durationMs: this.now() - p.startedAt,
      session,
    });
  }

  private async run(
    call: ToolCall,
    args: Record<string, unknown>,
    decision: ToolDecision,
    t0: number,
    confirmation: 'yes' | undefined,
    session?: string,
  ): Promise<void> {
    const tool = this.d.registry.get(call.name);
    if (!tool) return;
    let attempts = 0;
    let lastErr: unknown;
    for (;;) {
      attempts++;
      const ac = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      try {
        const result = await Promise.race([
          tool.run(args, { signal: ac.signal, attempt: attempts }),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              // Reject before aborting: a tool that settles on abort must not win the race.
              reject(new Error(`timed out after ${this.d.timeoutMs} ms`));
              ac.abort();
            }, this.d.timeoutMs);
          }),
        ]);
        clearTimeout(timer);
        this.respond(call, { ok: true, result });
        return this.audit({
          tool: call.name,
          callId: call.callId,
          decision,
          confirmation,
          args: this.d.redact(args),
          outcome: 'ok',
          result: this.d.redact(result),
          attempts,
          durationMs: this.now() - t0,
          session,
        });
      } catch (err) {
        clearTimeout(timer);
        lastErr = err;
        const retry = attempts <= this.d.retries && (tool.retryable?.(err) ?? false);
        if (!retry) break;
        await new Promise((r) => setTimeout(r, 50 * attempts));
      }
    }
    const message = lastErr instanceof Error ? lastErr.message : String(lastErr);
    this.respond(call, { ok: false, error: message });
    await this.audit({
      tool: call.name,
      callId: call.callId,
      decision,
      confirmation,
      args: this.d.redact(args),
      outcome: 'error',
      error: message,
      attempts,
      durationMs: this.now() - t0,
      session,
    });
  }

  private respond(call: ToolCall, output: { ok: boolean; result?: unknown; error?: string }): void {
    this.d.reply(call.callId, JSON.stringify(output));
  }

  private rawArgs(call: ToolCall): unknown {
    try {
      return this.d.redact(JSON.parse(call.arguments));
    } catch {
      return this.d.redact(call.arguments.slice(0, 500));
    }
  }

  private async audit(e: AuditEntry): Promise<void> {
    this.d.onTrace?.({
      callId: e.callId,
      tool: e.tool,
      decision: e.decision,
      outcome: e.outcome,
      durationMs: e.durationMs,
    });
    await this.d.audit.append(e);
  }
}
