/**
 * Fault injection for tests of the supervisor itself, enabled only by VOICETERM_DEBUG_HOOKS=1 (never
 * set by the systemd unit). SIGUSR2 blocks the event loop for VOICETERM_DEBUG_BLOCK_MS (default
 * 1500 ms), as a runaway synchronous computation would — the watchdog must then go quiet.
 */
import type { Component, ComponentContext, ComponentHealth } from './component.js';

export class DebugHooks implements Component {
  readonly name = 'debug';
  private readonly onSignal = () => this.block();
  private blocks = 0;
  private ctx?: ComponentContext;

  constructor(private readonly blockMs = Number(process.env.VOICETERM_DEBUG_BLOCK_MS ?? 1500)) {}

  async start(ctx: ComponentContext): Promise<void> {
    this.ctx = ctx;
    process.on('SIGUSR2', this.onSignal);
    ctx.logger.warn('debug hooks enabled: SIGUSR2 blocks the event loop');
  }

  async stop(): Promise<void> {
    process.off('SIGUSR2', this.onSignal);
  }

  private block(): void {
    this.blocks++;
    this.ctx?.logger.warn({ ms: this.blockMs }, 'blocking the event loop on request');
    const until = performance.now() + this.blockMs;
    while (performance.now() < until) {
      // busy on purpose
    }
  }

  health(): ComponentHealth {
    return { healthy: true, summary: `${this.blocks} blocks` };
  }
}
