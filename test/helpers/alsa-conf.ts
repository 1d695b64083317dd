/**
 * Private ALSA configuration for a test process: a temp dir with asoundrc files, and ALSA_CONFIG_PATH
 * pointing at the system alsa.conf plus those files. alsa-lib checks the path list (and the files'
 * mtimes, in whole seconds) on every open: add() writes a new file and extends the list, so new
 * PCMs are seen at once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AlsaConf {
  dir: string;
  /** The first asoundrc. */
  path: string;
  /** Define more PCMs (a new file on the path list). */
  add(text: string): void;
  /** Environment for child processes (the CLI) that must see the same PCMs. */
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

const SYSTEM_CONF = '/usr/share/alsa/alsa.conf';

export function alsaConf(text = ''): AlsaConf {
  const dir = mkdtempSync(join(tmpdir(), 'vt-alsa-'));
  const path = join(dir, 'asoundrc');
  writeFileSync(path, text);
  const files = [SYSTEM_CONF, path];
  const previous = process.env.ALSA_CONFIG_PATH;
  process.env.ALSA_CONFIG_PATH = files.join(':');
  const conf: AlsaConf = {
    dir,
    path,
    add(t) {
      const file = join(dir, `asoundrc.${files.length}`);
      writeFileSync(file, t);
      files.push(file);
      process.env.ALSA_CONFIG_PATH = files.join(':');
      conf.env = { ...process.env };
    },
    env: { ...process.env },
    cleanup() {
      if (previous === undefined) delete process.env.ALSA_CONFIG_PATH;
      else process.env.ALSA_CONFIG_PATH = previous;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return conf;
}

/** A capture PCM reading raw frames from `infile` and a playback PCM writing raw frames to `outfile`. */
export function filePcms(
  names: { capture: string; playback: string },
  infile: string,
  outfile: string,
): string {
  return `pcm.${names.capture} {
  type file
  slave.pcm null
  file "/dev/null"
  infile "${infile}"
  format raw
  hint { show on description "voiceterm test capture (file)" }
}
pcm.${names.playback} {
  type file
  slave.pcm null
  file "${outfile}"
  format raw
  hint { show on description "voiceterm test playback (file)" }
}
`;
}
