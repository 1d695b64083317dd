// Leak check of the alsa_pcm addon (see ../README.md): exercises it the way the ALSA tests do
// (file PCMs in three formats with capture, playback, pause, flush; a bad PCM name; listing;
// PulseAudio duplex, flush, server killed and restarted), then exits. Run after `npm run build`:
//   valgrind --leak-check=full --num-callers=20 node src/audio/alsa/native/leak-check.mjs
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../../../dist/src/audio/alsa/', import.meta.url).href;
const tmp = mkdtempSync(join(tmpdir(), 'vt-leak-'));
const { AlsaDevice } = await import(root + 'alsa-device.js');
const { startPulse } = await import(root + 'pulse-server.js');
const { alsaAddon } = await import(root + 'native.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
writeFileSync(join(tmp, 'in.raw'), Buffer.alloc(64000, 7));
const pulse = await startPulse();
writeFileSync(
  join(tmp, 'asoundrc'),
  `pcm.fcap { type file slave.pcm null file "/dev/null" infile "${join(tmp, 'in.raw')}" format raw }
pcm.fpb { type file slave.pcm null file "${join(tmp, 'out.raw')}" format raw }
${pulse.pcms({ playback: 'pspk', capture: 'pmon' })}`,
);
process.env.ALSA_CONFIG_PATH = `/usr/share/alsa/alsa.conf:${join(tmp, 'asoundrc')}`;
const mk = (c, p, fmt = 'S16_LE') =>
  new AlsaDevice({
    capture: { device: c, channels: 2, format: fmt, micChannel: 1 },
    playback: { device: p, channels: 2, format: fmt },
    rate: 16000,
    periodFrames: 160,
    bufferPeriods: 4,
    reopenMinMs: 100,
    reopenMaxMs: 400,
  });
for (const fmt of ['S16_LE', 'S32_LE', 'FLOAT_LE']) {
  const d = mk('fcap', 'fpb', fmt);
  let frames = 0;
  d.on('frame', () => frames++);
  await d.open();
  d.write(new Float32Array(8000).fill(0.25));
  await sleep(300);
  d.pause();
  await sleep(100);
  d.resume();
  await sleep(100);
  d.flush();
  await sleep(100);
  await d.close();
  console.log(fmt, 'frames', frames, d.stats().playedSamples);
}
try {
  await mk('nope', 'nope').open();
} catch (e) {
  console.log('expected:', e.message);
}
console.log('pcms', alsaAddon().listPcms(['fcap']).length);
const d = mk('pmon', 'pspk');
const states = [];
d.on('state', (s) => states.push(s));
let frames = 0;
d.on('frame', () => frames++);
await d.open();
d.write(new Float32Array(16000).fill(0.3));
await sleep(1500);
d.flush();
await pulse.kill();
await sleep(3000);
await pulse.start();
await sleep(4000);
console.log('pulse states', states.join(','), 'frames', frames, JSON.stringify(d.stats()));
await d.close();
await pulse.stop();
rmSync(tmp, { recursive: true, force: true });
