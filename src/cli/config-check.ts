import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import { maskSecrets } from '../config/mask.js';
import { configSchema } from '../config/schema.js';
import type { Command } from './command.js';

export const configCommand: Command = {
  name: 'config',
  summary: 'validate a config file and print the effective config (secrets masked)',
  usage: `voiceterm config check [FILE] [--board NAME] [--json]

  Merges FILE (default /etc/voiceterm/config.yaml, if present) over the board's defaults
  (board/<NAME>/config.yaml) and the environment's secret overrides, validates the result and prints
  it with secrets masked. Every problem is printed with its path; exit code 2 when any.`,
  async run(argv) {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { board: { type: 'string' }, json: { type: 'boolean' } },
    });
    if (positionals[0] !== 'check') {
      console.error(`unknown config subcommand ${JSON.stringify(positionals[0] ?? '')}\n\n${this.usage}`);
      return 2;
    }
    try {
      const { config, sources, envApplied, warnings } = loadConfig({
        file: positionals[1],
        board: values.board,
      });
      for (const w of warnings) console.error(`warning: ${w}`);
      const masked = maskSecrets(configSchema, config);
      if (values.json) console.log(JSON.stringify(masked, null, 2));
      else {
        console.log(`# effective config (board ${config.device.board}); sources: ${sources.join(', ')}`);
        if (envApplied.length > 0) console.log(`# from the environment: ${envApplied.join(', ')}`);
        process.stdout.write(stringify(masked));
      }
      return 0;
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(err.message);
        return 2;
      }
      throw err;
    }
  },
};
