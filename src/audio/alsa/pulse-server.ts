/**
 * A private PulseAudio server for the paced ALSA tests and the audio bench: a null sink `spk` (what
 * is played into it comes back on `spk.monitor`), on its own socket and runtime dir in a temp
 * folder, so nothing touches a desktop session or another test's server. Tests start it in
 * beforeAll and stop() it in afterAll; kill() then start() is a sound card that disappears and
 * comes back. Development and test tool: the product never starts PulseAudio.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PulseServer {
  readonly dir: string;
  readonly socket: string;
  /** ALSA PCM definitions (asoundrc text) for a playback PCM into the sink and a capture PCM of its monitor. */
  pcms(names: { playback: string; capture: string }): string;
  /** Kill the server (the "sound card" disappears). */
  kill(): Promise<void>;
  /** Start it again on the same socket. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startPulse(opts: { rate?: number } = {}): Promise<PulseServer> {
  const rate = opts.rate ?? 16000;
  const dir = mkdtempSync(join(tmpdir(), 'vt-pulse-'));
  const socket = join(dir, 'native');
  for (const d of ['runtime', 'state', 'home']) mkdirSync(join(dir, d));
  const clientConf = join(dir, 'client.conf');
  // Clients in this process must never autospawn a server of their own while ours is down, and
  // must not share memory with it: when the server is killed, libpulse's client thread waits for
  // the dead server's shared memory blocks (pa_memimport_free) while holding the lock the ALSA
  // plugin needs, which stalls the "unplug" for many seconds.
  writeFileSync(clientConf, 'autospawn = no\nenable-shm = no\n');
  process.env.PULSE_CLIENTCONFIG = clientConf;
  const env = {
    ...process.env,
    HOME: join(dir, 'home'),
    XDG_RUNTIME_DIR: join(dir, 'runtime'),
    PULSE_RUNTIME_PATH: join(dir, 'runtime'),
    PULSE_STATE_PATH: join(dir, 'state'),
  };
  let child: ChildProcess | undefined;
  let log = '';

  const start = async () => {
    log = '';
    child = spawn(
      'pulseaudio',
      [
        '-n',
        '--daemonize=no',
        '--exit-idle-time=-1',
        '--use-pid-file=no',
        '--log-target=stderr',
        `-L`,
        `module-null-sink sink_name=spk rate=${rate} channels=1`,
        '-L',
        `module-native-protocol-unix auth-anonymous=1 socket=${socket}`,
      ],
      { env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (d) => {
      log += d;
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`pulseaudio exited (${child.exitCode}): ${log}`);
      if (await canConnect(socket)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`pulseaudio did not open ${socket} within 10 s: ${log}`);
  };

  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    dir,
    socket,
    pcms: (names) => `pcm.${names.playback} {
  type pulse
  server "unix:${socket}"
  device "spk"
  hint { show on description "voiceterm test: PulseAudio null sink" }
}
pcm.${names.capture} {
  type pulse
  server "unix:${socket}"
  device "spk.monitor"
  hint { show on description "voiceterm test: PulseAudio null sink monitor" }
}
`,
    kill,
    start,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
