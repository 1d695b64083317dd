import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appRoot } from '../config/load.js';
import type { Command } from './command.js';

export function appVersion(): string {
  const pkg = JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export const versionCommand: Command = {
  name: 'version',
  summary: 'print the firmware version, Node.js version and architecture',
  usage: 'voiceterm version [--json]',
  async run(argv) {
    const info = {
      voiceterm: appVersion(),
      node: process.version,
      arch: process.arch,
      platform: process.platform,
    };
    console.log(
      argv.includes('--json')
        ? JSON.stringify(info)
        : `voiceterm ${info.voiceterm} (node ${info.node}, ${info.platform}-${info.arch})`,
    );
    return 0;
  },
};
