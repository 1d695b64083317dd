/**
 * Builds the tool registry + runner from config: the example set (if any), policies merged over
 * the set's own defaults, and the audit log. Only tools not denied are offered to the model.
 */
import type { ToolSpec } from '../cloud/provider.js';
import type { Config } from '../config/schema.js';
import { AuditLog } from './audit-log.js';
import { DRIVE_THRU_POLICIES, DriveThruOrder, driveThruTools } from './drive-thru.js';
import { decide, type ToolPolicyConfig } from './policy.js';
import { ToolRegistry } from './registry.js';
import { ToolRunner, type ToolTrace } from './runner.js';

export interface ToolSetupDeps {
  auditDir: string;
  redact: <T>(v: T) => T;
  reply: (callId: string, output: string) => void;
  ask: (text: string) => void;
  onAuditError?: (err: unknown) => void;
  onTrace?: (t: ToolTrace) => void;
}

export interface ToolSetup {
  registry: ToolRegistry;
  runner: ToolRunner;
  audit: AuditLog;
  specs: ToolSpec[];
  policy: ToolPolicyConfig;
  order?: DriveThruOrder;
}

export function buildToolRunner(cfg: Config['tools'], deps: ToolSetupDeps): ToolSetup {
  const registry = new ToolRegistry();
  let setPolicies = {};
  let order: DriveThruOrder | undefined;
  if (cfg.set === 'drive-thru') {
    order = new DriveThruOrder();
    for (const t of driveThruTools(order)) registry.register(t);
    setPolicies = DRIVE_THRU_POLICIES;
  }
  const policy: ToolPolicyConfig = { default: cfg.default, policies: { ...setPolicies, ...cfg.policies } };
  const audit = new AuditLog({
    dir: deps.auditDir,
    maxBytes: cfg.audit.maxBytes,
    keepFiles: cfg.audit.keepFiles,
    onError: deps.onAuditError,
  });
  const runner = new ToolRunner({
    registry,
    policy,
    audit,
    redact: deps.redact,
    timeoutMs: cfg.timeoutMs,
    retries: cfg.retries,
    confirmTimeoutMs: cfg.confirmTimeoutMs,
    reply: deps.reply,
    ask: deps.ask,
    onTrace: deps.onTrace,
  });
  // The model is told only about tools it may use (ask-first ones included).
  const specs = registry.specs((name) => decide(name, true, policy) !== 'deny');
  return { registry, runner, audit, specs, policy, order };
}
