/**
 * The built-in commands. Each one's argument schema is strict: an unknown field is an error, so a
 * typo never silently does nothing. Side effects go through `BuiltinDeps`, which the fleet
 * component provides — the handlers themselves hold no I/O.
 */
import { z } from 'zod';
import { ConfigError } from '../../config/errors.js';
import type { Config } from '../../config/schema.js';
import type { HandoffMode } from '../state-store.js';
import { applyLive, planConfigChange } from './config-apply.js';
import { CommandError, type CommandRegistry } from './registry.js';

export interface BuiltinDeps {
  config: Config;
  /** Persist the accumulated remote partial config (merged with earlier ones). */
  persistRemoteConfig(partial: Record<string, unknown>): void;
  /** After a live change: tell the bus and publish config/reported. */
  configApplied(live: string[], restartRequired: string[]): void;
  setKillSwitch(on: boolean, reason?: string): void;
  setHandoffMode(mode: HandoffMode): void;
  conversationActive(): boolean;
  /** Ask the process to exit cleanly after the response is on its way (systemd restarts it). */
  scheduleRestart(): void;
  diagnostics(): Record<string, unknown>;
  ping(): Record<string, unknown>;
}

export function registerBuiltinCommands(registry: CommandRegistry, deps: BuiltinDeps): void {
  registry.registerCommand(
    'config',
    z.strictObject({ config: z.record(z.string(), z.unknown()) }),
    ({ config: partial }) => {
      let plan: ReturnType<typeof planConfigChange>;
      try {
        plan = planConfigChange(deps.config, partial);
      } catch (err) {
        if (err instanceof ConfigError) throw new CommandError('invalid', err.problems.join('; '));
        throw err;
      }
      deps.persistRemoteConfig(partial);
      applyLive(deps.config, plan);
      deps.configApplied(plan.live, plan.restartRequired);
      return {
        applied: plan.live,
        restart_required: plan.restartRequired,
        unchanged: plan.changed.length === 0,
      };
    },
  );

  registry.registerCommand(
    'kill-switch',
    z.strictObject({ state: z.enum(['on', 'off']), reason: z.string().max(500).optional() }),
    ({ state, reason }) => {
      deps.setKillSwitch(state === 'on', reason);
      return { state };
    },
  );

  registry.registerCommand(
    'handoff-mode',
    z.strictObject({ mode: z.enum(['auto', 'always', 'never']) }),
    ({ mode }) => {
      deps.setHandoffMode(mode);
      return { mode };
    },
  );

  registry.registerCommand('restart', z.strictObject({ force: z.boolean().default(false) }), ({ force }) => {
    if (deps.conversationActive() && !force) {
      throw new CommandError('busy', 'a conversation is active; retry later or send {"force":true}');
    }
    deps.scheduleRestart();
    return { restarting: true };
  });

  registry.registerCommand('diagnostics', z.strictObject({}), () => deps.diagnostics());

  registry.registerCommand('ping', z.strictObject({}), () => deps.ping());
}
