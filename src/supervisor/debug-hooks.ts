/**
 * Fault injection for tests of the supervisor itself, enabled only by VOICETERM_DEBUG_HOOKS=1 (the
 * systemd unit never sets it). Commands arrive as lines on stdin:
 *   block <ms>  busy-wait the event loop, as a runaway synchronous computation would
 *   stall        this component's loop stops completing (a hung await) — liveness must fail
 *   throw        this component's loop throws — the supervisor must restart it, not crash
 *   recover      undo stall/throw
 * SIGUSR2 is a shortcut for `block 1500`.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Component, ComponentContext, ComponentHealth } from './component.js';

export class DebugHooks implements Component {
  readonly name = 'debug';
  private readonly onSignal = () => this.block(1500);
  private ctx?: ComponentContext;
  /**
   * One stdin reader for the process lifetime: a component restart must not drop a command that
   * arrives while the component is down. unref'd so it never keeps the process alive.
   */
  private static rl?: Interface;
  private static current?: DebugHooks;
  private ticks = 0;
  /** Shared across restarts on purpose: a `throw` keeps failing until `recover`. */
  private static mode: 'ok' | 'stall' | 'throw' = 'ok';

  async start(ctx: ComponentContext): Promise<void> {
    this.ctx = ctx;
    process.on('SIGUSR2', this.onSignal);
    DebugHooks.current = this;
    if (!DebugHooks.rl) {
      DebugHooks.rl = createInterface({ input: process.stdin });
      DebugHooks.rl.on('line', (line) => DebugHooks.current?.command(line.trim()));
      (process.stdin as { unref?: () => void }).unref?.();
    }
    ctx.every('tick', 100, async () => {
      if (DebugHooks.mode === 'throw') throw new Error('injected fault (debug hook)');
      if (DebugHooks.mode === 'stall') await new Promise(() => {});
      this.ticks++;
    });
    ctx.logger.warn('debug hooks enabled (stdin: block <ms> | stall | throw | recover; SIGUSR2)');
  }

  async stop(): Promise<void> {
    process.off('SIGUSR2', this.onSignal);
  }

  private command(line: string): void {
    const [verb, arg] = line.split(/\s+/);
    this.ctx?.logger.warn({ command: line }, 'debug hook');
    if (verb === 'block') this.block(Number(arg) || 1500);
    else if (verb === 'stall' || verb === 'throw') DebugHooks.mode = verb;
    else if (verb === 'recover') DebugHooks.mode = 'ok';
  }

  private block(ms: number): void {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // busy on purpose
    }
  }

  health(): ComponentHealth {
    return { healthy: DebugHooks.mode === 'ok', summary: `${DebugHooks.mode}, ${this.ticks} ticks` };
  }
}
