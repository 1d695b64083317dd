import { parseArgs } from 'node:util';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import { LoggerFactory } from '../observability/logger.js';
import { MetricsRegistry } from '../observability/metrics.js';
import { EventBus } from '../supervisor/bus.js';
import { buildComponents } from '../supervisor/components.js';
import { SystemdNotifier } from '../supervisor/notify/notifier.js';
import { Supervisor } from '../supervisor/supervisor.js';
import type { Command } from './command.js';
import { appVersion } from './version.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'run the supervisor (the terminal itself)',
  usage: `voiceterm run [--config FILE] [--board NAME]

  Starts every component and runs until SIGTERM/SIGINT. Logs are JSON lines on stdout. Under
  systemd (Type=notify) it sends READY=1, STATUS=, WATCHDOG=1 (while live) and STOPPING=1.
  With no config and no sound card it runs on the embedded defaults of board "sim".`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, board: { type: 'string' } },
    });
    let loaded: ReturnType<typeof loadConfig>;
    try {
      loaded = loadConfig({ file: values.config, board: values.board });
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(err.message);
        return 2;
      }
      throw err;
    }
    const { config } = loaded;
    const loggers = new LoggerFactory({ level: config.log.level, components: config.log.components });
    const log = loggers.for('main');
    const bus = new EventBus((event, err) => log.error({ err, event }, 'event handler threw'));
    const supervisor = new Supervisor({
      config,
      loggers,
      metrics: new MetricsRegistry(),
      bus,
      notifier: new SystemdNotifier(),
      version: appVersion(),
    });
    for (const c of buildComponents(config)) supervisor.add(c);
    log.info({ version: appVersion(), board: config.device.board, sources: loaded.sources }, 'starting');
    for (const w of loaded.warnings) log.warn(w);

    return await new Promise<number>((resolve) => {
      let exiting = false;
      const shutdown = async (signal: string) => {
        if (exiting) return;
        exiting = true;
        log.info({ signal }, 'shutting down');
        const clean = await supervisor.stop();
        resolve(clean ? 0 : 1);
      };
      process.on('SIGTERM', () => void shutdown('SIGTERM'));
      process.on('SIGINT', () => void shutdown('SIGINT'));
      // Errors no component claimed: log them; a rejection is survivable, an exception leaves
      // unknown state behind, so that one ends the process (systemd restarts it).
      process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
      process.on('uncaughtException', (err) => {
        log.fatal({ err }, 'uncaught exception; exiting for systemd to restart');
        void supervisor.stop().finally(() => process.exit(70));
      });
      supervisor.start().catch((err) => {
        log.fatal({ err }, 'supervisor failed to start');
        resolve(1);
      });
    });
  },
};
