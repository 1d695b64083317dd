import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../src/observability/redaction.js';
import { AuditLog, readAuditFiles, verifyAuditChain } from '../../src/tools/audit-log.js';
import { DRIVE_THRU_POLICIES, DriveThruOrder, driveThruTools } from '../../src/tools/drive-thru.js';
import { classifyAnswer, decide } from '../../src/tools/policy.js';
import { ToolRegistry } from '../../src/tools/registry.js';
import { ToolRunner } from '../../src/tools/runner.js';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vt-tools-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('tool policy', () => {
  it('denies unknown tools and tools without a policy by default', () => {
    const cfg = { default: 'deny' as const, policies: { add_item: 'allow' as const } };
    expect(decide('add_item', true, cfg)).toBe('allow');
    expect(decide('add_item', false, cfg)).toBe('deny');
    expect(decide('other', true, cfg)).toBe('deny');
  });

  it('classifies spoken answers', () => {
    expect(classifyAnswer('Yes please')).toBe('yes');
    expect(classifyAnswer('yeah, go ahead')).toBe('yes');
    expect(classifyAnswer('No, thanks.')).toBe('no');
    expect(classifyAnswer("I don't want that")).toBe('no');
    expect(classifyAnswer('a large coke')).toBe('unclear');
  });
});

describe('tool registry', () => {
  it('validates arguments against the JSON schema with clear messages', () => {
    const reg = new ToolRegistry();
    for (const t of driveThruTools(new DriveThruOrder())) reg.register(t);
    expect(reg.parse('add_item', '{"item":"fries","quantity":2}')).toEqual({
      ok: true,
      args: { item: 'fries', quantity: 2 },
    });
    expect(reg.parse('add_item', '{"item":"fries","quantity":2.5}')).toMatchObject({
      ok: false,
      error: 'arguments.quantity must be an integer',
    });
    expect(reg.parse('add_item', '{"quantity":1,"colour":"red"}')).toMatchObject({
      ok: false,
      error: 'arguments.item is required; arguments.colour is not allowed',
    });
    expect(reg.parse('add_item', '{oops')).toMatchObject({
      ok: false,
      error: 'arguments are not valid JSON',
    });
    expect(reg.parse('add_item', '{"item":"x","quantity":1,"size":"huge"}')).toMatchObject({ ok: false });
    expect(() => reg.register(driveThruTools(new DriveThruOrder())[0])).toThrow(/registered twice/);
  });
});

describe('audit log', () => {
  it('chains entries by hash, continues across rotation, and detects tampering', async () => {
    const dir = await tmp();
    const log = new AuditLog({ dir, maxBytes: 1500, keepFiles: 5 });
    for (let i = 0; i < 12; i++) {
      void log.append({
        tool: 'add_item',
        callId: `c${i}`,
        decision: 'allow',
        args: { item: `burger ${i}` },
        outcome: 'ok',
        result: { lines: i },
        attempts: 1,
        durationMs: i,
      });
    }
    await log.flush();
    expect(log.failures).toBe(0);
    const files = await readAuditFiles(dir, 5);
    expect(files.length).toBeGreaterThan(2); // rotated
    expect(verifyAuditChain(files)).toEqual({ ok: true, entries: 12 });
    // A new AuditLog on the same directory (a restart) continues the chain.
    const again = new AuditLog({ dir, maxBytes: 1500, keepFiles: 5 });
    await again.append({
      tool: 'x',
      callId: 'after-restart',
      decision: 'deny',
      args: {},
      outcome: 'denied',
      attempts: 0,
      durationMs: 0,
    });
    const after = await readAuditFiles(dir, 5);
    expect(verifyAuditChain(after)).toMatchObject({ ok: true, entries: 13 });
    // Edit one line in the current file: the chain breaks exactly there.
    const current = join(dir, 'audit.jsonl');
    const text = await readFile(current, 'utf8');
    await writeFile(current, text.replace('"after-restart"', '"edited"'));
    const v = verifyAuditChain(await readAuditFiles(dir, 5));
    expect(v.ok).toBe(false);
    expect(v.brokenAt).toBe(13);
    // Deleting a line breaks it too.
    const lines = after.join('').trim().split('\n');
    lines.splice(5, 1);
    expect(verifyAuditChain([lines.join('\n')])).toMatchObject({ ok: false, brokenAt: 6 });
  });

  it('degrades when the directory is not writable and catches up later', async () => {
    const dir = await tmp();
    const blocker = join(dir, 'file');
    await writeFile(blocker, 'x');
    const errors: unknown[] = [];
    const log = new AuditLog({
      dir: join(blocker, 'audit'),
      maxBytes: 1e6,
      keepFiles: 2,
      onError: (e) => errors.push(e),
    });
    await log.append({
      tool: 't',
      callId: '1',
      decision: 'allow',
      args: {},
      outcome: 'ok',
      attempts: 1,
      durationMs: 1,
    });
    expect(log.failures).toBe(1);
    expect(errors).toHaveLength(1);
  });
});

describe('ToolRunner', () => {
  async function setup(extra?: (reg: ToolRegistry) => void) {
    const dir = await tmp();
    const reg = new ToolRegistry();
    const order = new DriveThruOrder();
    for (const t of driveThruTools(order)) reg.register(t);
    extra?.(reg);
    const audit = new AuditLog({ dir, maxBytes: 1e6, keepFiles: 3 });
    const replies: Array<{ callId: string; output: { ok: boolean; error?: string; result?: unknown } }> = [];
    const asks: string[] = [];
    const redactor = new Redactor();
    const runner = new ToolRunner({
      registry: reg,
      policy: { default: 'deny', policies: { ...DRIVE_THRU_POLICIES, flaky: 'allow', slow: 'allow' } },
      audit,
      redact: (v) => redactor.redactDeep(v),
      timeoutMs: 100,
      retries: 2,
      confirmTimeoutMs: 200,
      reply: (callId, output) => replies.push({ callId, output: JSON.parse(output) }),
      ask: (q) => asks.push(q),
    });
    const entries = async () => {
      await audit.flush();
      return (await readFile(join(dir, 'audit.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    };
    return { runner, order, replies, asks, entries, dir };
  }

  it('allow runs at once; deny and unknown are refused; arguments are redacted in the audit log', async () => {
    const s = await setup();
    await s.runner.handle({
      callId: 'c1',
      name: 'add_item',
      arguments: '{"item":"fries","quantity":1,"note":"card 4111 1111 1111 1111, call +1 415 555 0100"}',
    });
    await s.runner.handle({ callId: 'c2', name: 'apply_discount', arguments: '{"percent":50}' });
    await s.runner.handle({ callId: 'c3', name: 'format_disk', arguments: '{}' });
    expect(s.order.lines).toEqual([{ item: 'fries', quantity: 1 }]);
    expect(s.replies.map((r) => r.output.ok)).toEqual([true, false, false]);
    expect(s.replies[1].output.error).toMatch(/not permitted/);
    const e = await s.entries();
    expect(e.map((x) => [x.tool, x.decision, x.outcome])).toEqual([
      ['add_item', 'allow', 'ok'],
      ['apply_discount', 'deny', 'denied'],
      ['format_disk', 'deny', 'denied'],
    ]);
    expect(e[0].args.note).toBe('card [card], call [phone]');
    // The whole record, not just args: neither number survives anywhere. (Matching bare fragments
    // like "555" was flaky: hex hashes and timings contain such digit runs by chance.)
    const all = JSON.stringify(e);
    expect(all).not.toMatch(/4111[ -]?1111[ -]?1111[ -]?1111/);
    expect(all).not.toMatch(/415[ -]?555[ -]?0100/);
  });

  it('confirm asks first and runs only after a spoken yes; a no declines', async () => {
    const s = await setup();
    await s.runner.handle({
      callId: 'h1',
      name: 'hand_off_to_crew',
      arguments: '{"reason":"allergy question"}',
    });
    expect(s.asks[0]).toMatch(/ask the customer: "Would you like me to get a crew member for you\?"/);
    expect(s.order.handoffs).toEqual([]);
    expect(s.replies).toEqual([]);
    s.runner.onCustomerSaid('hmm, a large coke');
    expect(s.asks).toHaveLength(2); // asked again once
    s.runner.onCustomerSaid('yes please');
    await new Promise((r) => setTimeout(r, 20));
    expect(s.order.handoffs).toEqual(['allergy question']);
    expect(s.replies[0]).toMatchObject({ callId: 'h1', output: { ok: true } });

    await s.runner.handle({ callId: 'h2', name: 'hand_off_to_crew', arguments: '{"reason":"again"}' });
    s.runner.onCustomerSaid('no thanks');
    await new Promise((r) => setTimeout(r, 20));
    expect(s.order.handoffs).toHaveLength(1);
    expect(s.replies[1].output).toMatchObject({ ok: false, error: expect.stringMatching(/declined/) });

    await s.runner.handle({ callId: 'h3', name: 'hand_off_to_crew', arguments: '{"reason":"silence"}' });
    await new Promise((r) => setTimeout(r, 300)); // confirmTimeoutMs 200
    expect(s.replies[2].output.error).toMatch(/did not confirm/);
    const e = await s.entries();
    expect(e.map((x) => [x.callId, x.confirmation, x.outcome])).toEqual([
      ['h1', 'yes', 'ok'],
      ['h2', 'no', 'declined'],
      ['h3', 'timeout', 'declined'],
    ]);
  });

  it('retries retryable failures a bounded number of times and times out slow tools', async () => {
    let calls = 0;
    const s = await setup((reg) => {
      reg.register({
        name: 'flaky',
        description: 'fails',
        parameters: { type: 'object' },
        retryable: () => true,
        async run() {
          calls++;
          throw new Error('point of sale unreachable');
        },
      });
      reg.register({
        name: 'slow',
        description: 'hangs',
        parameters: { type: 'object' },
        run: (_a, ctx) =>
          new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('late'))),
      });
    });
    await s.runner.handle({ callId: 'f', name: 'flaky', arguments: '{}' });
    expect(calls).toBe(3); // 1 + 2 retries
    await s.runner.handle({ callId: 's', name: 'slow', arguments: '' });
    expect(s.replies.map((r) => r.output.error)).toEqual([
      'point of sale unreachable',
      'timed out after 100 ms',
    ]);
    const e = await s.entries();
    expect(e.map((x) => [x.outcome, x.attempts])).toEqual([
      ['error', 3],
      ['error', 1],
    ]);
  });
});
