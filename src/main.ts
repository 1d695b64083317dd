#!/usr/bin/env node
/** voiceterm — the CLI entry point. `voiceterm --help` lists the subcommands. */
import type { Command } from './cli/command.js';
import { wantsHelp } from './cli/command.js';
import { configCommand } from './cli/config-check.js';
import { devicesCommand } from './cli/devices.js';
import { frontendCommand } from './cli/frontend.js';
import { runCommand } from './cli/run.js';
import { versionCommand } from './cli/version.js';

const commands: Command[] = [runCommand, configCommand, devicesCommand, versionCommand, frontendCommand];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `usage: voiceterm <command> [options]\n\ncommands:\n${commands
    .map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
    .join('\n')}\n\nvoiceterm <command> --help shows a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    console.error(`unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  if (wantsHelp(rest)) {
    console.log(`${cmd.summary}\n\nusage: ${cmd.usage}`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    console.error(`voiceterm ${name}: ${(err as Error).message}`);
    return (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // The run command leaves nothing pending after stop(); other commands end naturally. A hard exit
  // would cut stdout short when it is a pipe, so only force it if something lingers.
  setTimeout(() => process.exit(code), 500).unref();
});
