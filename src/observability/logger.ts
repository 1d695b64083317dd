/**
 * Structured JSON lines on stdout (journald stores them; `journalctl -o cat` shows them as-is).
 * One root logger; each component gets a child with its own level (log.components.<name>).
 */
import { pino } from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface LoggerOptions {
  level: LogLevel;
  components?: Record<string, LogLevel>;
  /** Destination file descriptor or stream; stdout by default. Tests pass a stream. */
  destination?: pino.DestinationStream;
}

export class LoggerFactory {
  readonly root: Logger;
  private readonly levels: Record<string, LogLevel>;

  constructor(opts: LoggerOptions) {
    this.levels = { ...(opts.components ?? {}) };
    const dest = opts.destination ?? pino.destination({ dest: 1, sync: true });
    this.root = pino(
      {
        level: 'trace',
        base: { pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      dest,
    );
    this.root.level = opts.level;
  }

  /** A child logger `{component: name}` at the component's configured level. */
  for(component: string): Logger {
    const child = this.root.child({ component });
    child.level = this.levels[component] ?? this.root.level;
    return child;
  }

  setLevels(level: LogLevel, components: Record<string, LogLevel>): void {
    this.root.level = level;
    Object.assign(this.levels, components);
  }
}
