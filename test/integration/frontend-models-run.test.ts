/**
 * Issue 4, acceptance 4: `voiceterm run` with a broken front-end model (one altered, one missing).
 * The real CLI under a real NOTIFY_SOCKET with its embedded MQTT broker: the process stays up and
 * keeps its watchdog; the log, the systemd STATUS= line and the fleet health snapshot name the file
 * and mark the conversation (front-end) unhealthy; the start is retried with growing backoff while
 * audio keeps running; a repaired file is picked up by the next retry; SIGTERM still exits 0.
 */
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { freePort } from '../helpers/mosquitto.js';
import { NotifyListener } from '../helpers/notify-listener.js';
import { until } from '../helpers/until.js';

const MODELS = join(import.meta.dirname, '..', '..', 'models');
const MODEL_FILES = ['manifest.json', 'aec.onnx', 'aec.json', 'ned.onnx', 'ned.json', 'silero_vad_v6.onnx'];

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A copy of the installed models in a fresh directory, so one file can be broken without touching models/. */
function copyModels(work: string): string {
  const dir = join(work, 'models');
  mkdirSync(dir);
  for (const f of MODEL_FILES) copyFileSync(join(MODELS, f), join(dir, f));
  return dir;
}

interface Terminal {
  cli: RunningCli;
  notify: NotifyListener;
  id: string;
  port: number;
}

/** `voiceterm run` with a cloud provider configured (the front-end only loads then) and the given models. */
async function startTerminal(work: string, modelsDir: string, id: string): Promise<Terminal> {
  const notify = new NotifyListener();
  await notify.start();
  const port = await freePort();
  const configPath = join(work, 'config.yaml');
  writeFileSync(
    configPath,
    JSON.stringify({
      device: { id },
      supervisor: { stateDir: join(work, 'state'), restartBackoffMs: { initial: 200, max: 3000 } },
      // Nothing listens there: the start fails on the models before any connection is tried, and
      // once they are repaired the session keeper just retries the connection in the background.
      cloud: { provider: 'openai-realtime', baseUrl: 'ws://127.0.0.1:9/v1', apiKey: 'test-key' },
      frontend: { modelsDir },
      offline: { enabled: false },
      fleet: { embeddedBrokerPort: port, healthMinGapS: 0 },
    }),
  );
  const cli = startCli(['run', '--config', configPath], {
    NOTIFY_SOCKET: notify.socketPath,
    WATCHDOG_USEC: '400000',
    STATE_DIRECTORY: join(work, 'state'),
  });
  cleanup.push(async () => {
    if (cli.child.exitCode === null && cli.child.signalCode === null) {
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
    notify.stop();
  });
  return { cli, notify, id, port };
}

/** The retained fleet health snapshot, read with mosquitto_sub from the terminal's embedded broker. */
async function fleetHealth(port: number, id: string): Promise<Record<string, unknown>> {
  const topic = `voiceterm/${id}/health`;
  const sub = spawn('mosquitto_sub', ['-p', String(port), '-t', topic, '-C', '1', '-W', '15']);
  let out = '';
  sub.stdout.on('data', (d) => {
    out += String(d);
  });
  await new Promise((r) => sub.once('exit', r));
  return JSON.parse(out) as Record<string, unknown>;
}

/** Every "component failed" record of the conversation component so far. */
const failures = (cli: RunningCli) =>
  cli.logs.filter((l) => l.component === 'conversation' && l.msg === 'component failed');

const errMessage = (rec: Record<string, unknown>) => String((rec.err as { message?: string })?.message);

describe.each([
  {
    what: 'an altered aec.onnx',
    file: 'aec.onnx',
    damage: (dir: string) => appendFileSync(join(dir, 'aec.onnx'), Buffer.from([0])),
    message: /^front-end not loaded: model file \S+\/aec\.onnx is altered \(sha256 /,
    status:
      /conversation (restarting|failed|starting|stopped) \(failed: front-end not loaded: model file \S+\/aec\.onnx is altered/,
  },
  {
    what: 'a missing Silero VAD file',
    file: 'silero_vad_v6.onnx',
    damage: (dir: string) => unlinkSync(join(dir, 'silero_vad_v6.onnx')),
    message: /^front-end not loaded: model file \S+\/silero_vad_v6\.onnx is missing/,
    status:
      /conversation (restarting|failed|starting|stopped) \(failed: front-end not loaded: model file \S+\/silero_vad_v6\.onnx is missing/,
  },
])('voiceterm run with $what', ({ file, damage, message, status }) => {
  it('stays up, reports the front-end unhealthy naming the file, retries with backoff, recovers when repaired', async () => {
    const work = mkdtempSync(join(tmpdir(), 'vt-fe-models-run-'));
    cleanup.push(() => rmSync(work, { recursive: true, force: true }));
    const modelsDir = copyModels(work);
    damage(modelsDir);
    const id = `fe-models-${file.replace(/\W/g, '')}`;
    const { cli, notify, port } = await startTerminal(work, modelsDir, id);

    // The supervisor finishes starting the others and declares itself ready despite the failure.
    const ready = await notify.waitFor('READY=1', 20_000);

    // The log names the file, says it is the front-end, and restarts come with growing delays.
    await until(() => failures(cli).length >= 3, 20_000);
    const fails = failures(cli).slice(0, 3);
    for (const f of fails) {
      expect(errMessage(f)).toMatch(message);
      expect(errMessage(f)).toContain(join(modelsDir, file));
      expect((f.err as { type?: string }).type).toBe('ModelFileError');
    }
    const delays = fails.map((f) => f.restartInMs as number);
    expect(delays[1]).toBeGreaterThan(delays[0]);
    expect(delays[2]).toBeGreaterThan(delays[1]);

    // systemd's STATUS=: degraded, the conversation not running, the front-end and the file named.
    const statusLines = notify.lines('STATUS=').filter((m) => m.t >= ready.t);
    const bad = statusLines.find((m) => status.test(m.line));
    expect(bad?.line, statusLines.map((m) => m.line).join('\n')).toMatch(/^STATUS=voiceterm \S+ degraded /);
    expect(bad?.line).toMatch(/audio ok \(room sim/);

    // Still alive: the watchdog keeps being fed while the component fails, and audio keeps running.
    const since = notify.messages.at(-1)?.t ?? ready.t;
    const mark = cli.logs.length;
    await sleep(1200);
    expect(notify.lines('WATCHDOG=1').filter((m) => m.t > since).length).toBeGreaterThanOrEqual(3);
    const stats = await cli.waitForLog(
      (l) => l.component === 'audio' && l.msg === 'frame statistics',
      20_000,
      mark,
    );
    expect(stats.state).toBe('running');
    expect(cli.child.exitCode).toBeNull();

    // The fleet sees the same: conversation unhealthy with the file named, audio healthy.
    const health = await fleetHealth(port, id);
    const components = health.components as Record<
      string,
      { healthy: boolean; summary?: string; state: string }
    >;
    expect(components.conversation.healthy).toBe(false);
    expect(components.conversation.state).not.toBe('running');
    expect(components.conversation.summary).toContain(
      `front-end not loaded: model file ${join(modelsDir, file)}`,
    );
    expect(components.audio).toMatchObject({ healthy: true, state: 'running' });

    // Repaired: a later retry loads the models and the conversation runs (its cloud link just
    // stays down, nothing listens there).
    const repairedAt = cli.logs.length;
    const repairedT = notify.messages.at(-1)?.t ?? ready.t;
    copyFileSync(join(MODELS, file), join(modelsDir, file));
    await cli.waitForLog((l) => l.component === 'conversation' && l.msg === 'started', 20_000, repairedAt);
    await until(
      () =>
        notify
          .lines('STATUS=')
          .some((m) => m.t >= repairedT && /conversation ok \(openai-realtime/.test(m.line)),
      10_000,
    );

    // SIGTERM: STOPPING=1 and exit code 0.
    cli.child.kill('SIGTERM');
    const exit = await cli.exited;
    expect(exit.code).toBe(0);
    await notify.waitFor('STOPPING=1', 2000);
  }, 90_000);
});
