import type { Command } from './command.js';

export const devicesCommand: Command = {
  name: 'devices',
  summary: 'list the ALSA PCMs this terminal can open, with their rates',
  usage: 'voiceterm devices [--json]',
  async run() {
    const { listPcms } = await import('../audio/alsa/devices.js');
    return listPcms();
  },
};
