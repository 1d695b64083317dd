/**
 * Hand-off to a human: the bus event (fleet forwards it over MQTT to the crew headset / call
 * centre), a GPIO line pulsed high (a value file: sysfs GPIO, or any file a board maps), and an
 * optional command hook. Each output fails on its own: a missing GPIO never stops the event, and
 * the result says what worked, for health and for the log.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';

export interface HandoffOptions {
  gpioValuePath: string;
  pulseMs: number;
  command: string[];
}

export interface HandoffRequest {
  reason: string;
  /** What was said offline, one "role: text" line per turn. */
  transcript: string;
}

export interface HandoffOutcome {
  gpio: 'pulsed' | 'off' | string;
  command: 'ran' | 'off' | string;
}

export class HandoffOutputs {
  private pulseTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: HandoffOptions) {}

  async trigger(req: HandoffRequest): Promise<HandoffOutcome> {
    const [gpio, command] = await Promise.all([this.gpio(), this.hook(req)]);
    return { gpio, command };
  }

  private async gpio(): Promise<string> {
    const path = this.o.gpioValuePath;
    if (!path) return 'off';
    try {
      await writeFile(path, '1\n');
    } catch (e) {
      return `gpio failed: ${(e as Error).message}`;
    }
    clearTimeout(this.pulseTimer);
    if (this.o.pulseMs > 0) {
      this.pulseTimer = setTimeout(() => {
        writeFile(path, '0\n').catch(() => {});
      }, this.o.pulseMs);
      this.pulseTimer.unref?.();
    }
    return 'pulsed';
  }

  private hook(req: HandoffRequest): Promise<string> {
    const [cmd, ...args] = this.o.command;
    if (!cmd) return Promise.resolve('off');
    return new Promise((resolve) => {
      execFile(
        cmd,
        args,
        {
          timeout: 10_000,
          env: {
            ...process.env,
            VOICETERM_HANDOFF_REASON: req.reason,
            VOICETERM_HANDOFF_TRANSCRIPT: req.transcript,
          },
        },
        (err, _o, stderr) =>
          resolve(
            err
              ? `command failed: ${err.message.split('\n')[0]} ${String(stderr).trim().slice(0, 200)}`
              : 'ran',
          ),
      );
    });
  }

  /** Drop the line now (component stop). */
  async release(): Promise<void> {
    if (!this.pulseTimer) return;
    clearTimeout(this.pulseTimer);
    this.pulseTimer = undefined;
    if (this.o.gpioValuePath) await writeFile(this.o.gpioValuePath, '0\n').catch(() => {});
  }
}
