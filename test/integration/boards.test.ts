/**
 * Every board profile (board/<name>/) validates: `voiceterm config check --board NAME` accepts its
 * config.yaml against the real schema; alsa-lib parses its asound.conf and resolves the PCMs that
 * config.yaml names down to a hw card — the card the board's udev rule names; the udev rules are
 * well-formed; a README is there.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { scaled } from '../helpers/time-scale.js';

const run = promisify(execFile);
const BOARDS = join(import.meta.dirname, '..', '..', 'board');
const boards = readdirSync(BOARDS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const scratch = mkdtempSync(join(tmpdir(), 'vt-boards-'));
// An empty site file, so a /etc/voiceterm/config.yaml on this machine cannot mask the board's own
const emptySite = join(scratch, 'site.yaml');
writeFileSync(emptySite, '');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface AudioConfig {
  backend: string;
  capture: { device: string };
  playback: { device: string };
}

/** Opens PCM `name` through alsa-lib with the board's asound.conf; returns alsa-lib's complaint. */
async function openPcm(tool: 'arecord' | 'aplay', name: string, asoundConf: string): Promise<string> {
  const env = {
    ...process.env,
    // the system's alsa.conf first (it defines hw, plug, …), then the board's file, as /etc/asound.conf would be
    ALSA_CONFIG_PATH: `/usr/share/alsa/alsa.conf:${asoundConf}`,
    HOME: scratch, // no ~/.asoundrc
  };
  const args = ['-D', name, '-f', 'S16_LE', '-d', '1', tool === 'arecord' ? '/dev/null' : '/dev/zero'];
  try {
    await run(tool, args, { env, timeout: scaled(10_000) });
    return '';
  } catch (e) {
    return String((e as { stderr?: string }).stderr);
  }
}

/** One udev rule line → its `KEY{attr}OP"value"` tokens; throws on anything else. */
function parseUdevRule(line: string): Array<{ key: string; op: string; value: string }> {
  return line.split(/,\s*/).map((tok) => {
    const m = /^([A-Z_]+(?:\{[^}]+\})?)(==|!=|\+=|-=|:=|=)"([^"]*)"$/.exec(tok.trim());
    if (!m) throw new Error(`bad udev token ${JSON.stringify(tok)} in: ${line}`);
    return { key: m[1], op: m[2], value: m[3] };
  });
}

it('has the required board profiles', () => {
  expect(boards).toEqual(
    expect.arrayContaining(['sim', 'rpi5-respeaker-xvf3800', 'imx8mp-evk', 'usb-speakerphone']),
  );
});

describe.each(boards)('board %s', (board) => {
  const dir = join(BOARDS, board);
  const asoundConf = join(dir, 'asound.conf');
  const rules = readdirSync(dir).filter((f) => f.endsWith('.rules'));
  let checked: Promise<{ device: { board: string }; audio: AudioConfig }> | undefined;
  const configCheck = () => {
    checked ??= run(process.execPath, [CLI, 'config', 'check', emptySite, '--board', board, '--json']).then(
      (r) => JSON.parse(r.stdout),
    );
    return checked;
  };

  it('passes voiceterm config check --board', async () => {
    const config = await configCheck();
    expect(config.device.board).toBe(board);
    const { audio } = config;
    // a real board drives a sound card: it must bring the PCMs config.yaml names
    if (audio.backend === 'alsa') expect(existsSync(asoundConf)).toBe(true);
  });

  it('has a README with wiring and tuning notes', () => {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme.length).toBeGreaterThan(200);
  });

  it('has well-formed udev rules', () => {
    for (const file of rules) {
      const lines = readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .filter((l) => l.trim() && !l.trim().startsWith('#'));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        const tokens = parseUdevRule(line);
        expect(
          tokens.some((t) => t.op === '==' || t.op === '!='),
          `a rule without a match: ${line}`,
        ).toBe(true);
        expect(
          tokens.some((t) => ['=', '+=', ':=', '-='].includes(t.op)),
          `a rule that assigns nothing: ${line}`,
        ).toBe(true);
      }
    }
  });

  // (the simulator board has no sound card and no asound.conf)
  if (existsSync(asoundConf))
    it('asound.conf resolves the configured PCMs to the card the udev rule names', async () => {
      const { audio } = await configCheck();
      const opened = [
        await openPcm('arecord', audio.capture.device, asoundConf),
        await openPcm('aplay', audio.playback.device, asoundConf),
      ];
      // alsa-lib got past parsing and the PCM definition and stopped at the missing hardware: there is
      // no sound card on a build machine. A syntax error or an unknown PCM reads differently.
      const cards = opened.map(
        (err) => /Cannot get card index for (\S+)/.exec(err)?.[1] ?? `not resolved: ${err}`,
      );
      expect(cards[0]).toBe(cards[1]);
      const udevIds = rules.flatMap((f) =>
        readFileSync(join(dir, f), 'utf8')
          .split('\n')
          .filter((l) => l.trim() && !l.trim().startsWith('#'))
          .flatMap((l) =>
            parseUdevRule(l)
              .filter((t) => t.key === 'ATTR{id}' && t.op === '=')
              .map((t) => t.value),
          ),
      );
      // boards with a fixed card name from the kernel (a device-tree model) need no rule
      if (udevIds.length > 0) expect(udevIds).toContain(cards[0]);
    });
});
