/**
 * `voiceterm devices [--json] [NAME...]`: the ALSA PCMs this terminal can open, each probed in
 * both directions for the rates, channel counts and sample formats it accepts. NAMEs (e.g. the
 * configured `plughw:CARD=Array,DEV=0`) are probed in addition to alsa-lib's name hints.
 */
import { parseArgs } from 'node:util';
import { alsaAddon, type PcmCaps, type PcmInfo } from './native.js';

function describe(c: PcmCaps): string {
  if (!c.ok) return `-  (${c.error})`;
  const ch = c.channelsMin === c.channelsMax ? `${c.channelsMin}` : `${c.channelsMin}-${c.channelsMax}`;
  const rates = c.rates?.length
    ? c.rates.map((r) => (r % 1000 === 0 ? `${r / 1000}k` : `${r}`)).join(',')
    : 'none of the usual';
  return `${rates} Hz, ${ch} ch, ${c.formats?.join('/') || 'other formats'}`;
}

export function formatPcmTable(list: PcmInfo[]): string {
  const lines: string[] = [];
  for (const p of list) {
    if (!p.capture.ok && !p.playback.ok) continue;
    lines.push(`${p.name}${p.description ? `  — ${p.description}` : ''}`);
    lines.push(`    capture:  ${describe(p.capture)}`);
    lines.push(`    playback: ${describe(p.playback)}`);
  }
  return lines.join('\n');
}

/** The CLI action; returns the exit code (1 when no PCM can be opened in either direction). */
export async function listPcms(argv: string[] = process.argv.slice(3)): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const list = alsaAddon().listPcms(positionals);
  const usable = list.filter((p) => p.capture.ok || p.playback.ok);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
  } else if (usable.length > 0) {
    console.log(formatPcmTable(list));
  }
  if (usable.length === 0) {
    console.error(
      `no ALSA PCM can be opened (${list.length} known, none usable). The room simulator (audio.backend: room) needs no sound card.`,
    );
    return 1;
  }
  return 0;
}
