/**
 * The `update` component: RAUC-backed remote updates, driven by the fleet's `update` command and
 * reported on `<prefix>/<id>/update`. Glue only — the rules are in planner.ts, the I/O in
 * update-runner.ts, download.ts and rauc-engine.ts.
 *
 * Registered after `fleet` (it registers its command there and publishes through it) and after
 * every component the post-reboot health gate reads.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Component, ComponentContext, ComponentHealth } from '../../supervisor/component.js';
import { conversationLockFor } from '../../supervisor/conversation-lock.js';
import { CommandError } from '../commands/registry.js';
import type { FleetComponent } from '../fleet-component.js';
import { UpdateRefusal, updateCommandSchema } from './command.js';
import type { UpdateEngine } from './engine.js';
import { evaluateGate } from './health-gate.js';
import { JobStore } from './job.js';
import type { Step } from './planner.js';
import { RaucEngine } from './rauc-engine.js';
import { UpdateReporter, type UpdateStatePayload } from './reporter.js';
import { UpdateRunner } from './update-runner.js';

declare module '../topics.js' {
  interface FleetTopics {
    update: UpdateStatePayload;
  }
}

declare module '../../supervisor/bus.js' {
  interface BusEvents {
    /** Every retained state change of the update job (also published on MQTT). */
    'update.state': UpdateStatePayload;
  }
}

export interface UpdateComponentOptions {
  /** Tests pass an engine on a private bus; production builds RaucEngine from config. */
  engine?: UpdateEngine;
  reboot?: () => Promise<void>;
  bootId?: () => Promise<string>;
}

function runCommand(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(argv[0], argv.slice(1), { timeout: 60_000 }, (err, _o, stderr) =>
      err ? reject(new Error(`${argv.join(' ')}: ${String(stderr).trim() || err.message}`)) : resolve(),
    );
  });
}

export class UpdateComponent implements Component {
  readonly name = 'update';
  private runner?: UpdateRunner;
  private engine?: UpdateEngine;
  private inFlight?: Promise<void>;
  private lastStep: Step = { kind: 'idle' };
  private engineError?: string;
  private unsubscribe: Array<() => void> = [];
  private fleet?: FleetComponent;

  constructor(private readonly opts: UpdateComponentOptions = {}) {}

  async start(ctx: ComponentContext): Promise<void> {
    const cfg = ctx.config.update;
    const dir = path.join(ctx.config.supervisor.stateDir, 'ota');
    // systemd's CacheDirectory= when set (the deploy unit has one), else next to the job file.
    const downloadDir = cfg.downloadDir || process.env.CACHE_DIRECTORY?.split(':')[0] || dir;
    await mkdir(dir, { recursive: true });
    await mkdir(downloadDir, { recursive: true });
    this.engine =
      this.opts.engine ?? new RaucEngine({ dbusAddress: cfg.dbusAddress, raucConf: cfg.raucConf });
    const lock = conversationLockFor(ctx.bus);
    // The supervisor publishes its status line only after READY=1.
    let supervisorReady = false;
    this.unsubscribe.push(ctx.bus.on('supervisor.status', () => (supervisorReady = true)));

    this.fleet = ctx.lookup<FleetComponent>('fleet');
    const reporter = new UpdateReporter((payload, { retain }) => {
      ctx.bus.emit('update.state', payload);
      try {
        if (this.fleet?.publisher.ready) {
          this.fleet.publisher.publish('update', payload, {
            cls: 'event',
            retain,
            key: retain ? 'update.state' : 'update.progress',
          });
        }
      } catch (err) {
        ctx.logger.warn({ err: (err as Error).message }, 'update report not queued');
      }
    }, cfg.progressIntervalMs);

    this.runner = new UpdateRunner({
      engine: this.engine,
      store: new JobStore(dir, downloadDir),
      lock,
      reporter,
      reboot: this.opts.reboot ?? (() => runCommand(cfg.rebootCommand)),
      bootId:
        this.opts.bootId ?? (async () => (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim()),
      gate: () =>
        evaluateGate(cfg.healthGate, supervisorReady, (name) => {
          // The supervisor's view includes the lifecycle state: a failed/restarting one is not healthy.
          const polled = ctx.componentHealth?.()[name];
          if (polled) return polled.state === 'running' ? polled : { healthy: false, summary: polled.state };
          return ctx.lookup(name)?.health();
        }),
      log: ctx.logger,
      limits: {
        maxBundleBytes: cfg.maxBundleMb * 1024 * 1024,
        minFreeBytes: cfg.minFreeMb * 1024 * 1024,
        gateTimeoutMs: cfg.healthGate.timeoutS * 1000,
        defaultWindow: cfg.maintenanceWindow,
        rebootGraceMs: cfg.rebootRetryS * 1000,
      },
    });

    const runner = this.runner;
    this.fleet?.commands.unregisterCommand('update');
    this.fleet?.commands.registerCommand('update', updateCommandSchema, async (args) => {
      try {
        return await runner.accept(args);
      } catch (err) {
        if (err instanceof UpdateRefusal) throw new CommandError(err.code, err.message);
        throw err;
      }
    });
    if (!this.fleet) ctx.logger.warn({}, 'no fleet component: the update command is not reachable');

    // Short loop, never blocking: a step (a download, an install) runs in the background and the
    // next tick only starts another once it is done.
    ctx.every('update.job', 1000, () => {
      if (this.inFlight) return;
      this.inFlight = runner
        .runOnce()
        .then((step) => {
          this.lastStep = step;
          this.engineError = step.kind === 'wait' && step.reason === 'engine' ? step.detail : undefined;
        })
        .catch((err) => ctx.fail(err))
        .finally(() => {
          this.inFlight = undefined;
        });
    });
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.fleet?.commands.unregisterCommand('update');
    // A running download or install is abandoned here and resumed from the persisted phase.
    this.runner?.abort();
    await this.engine?.close();
    await this.inFlight;
  }

  health(): ComponentHealth {
    const job = this.runner?.current();
    const details = {
      job: job && {
        id: job.id,
        version: job.version,
        phase: job.phase,
        result: job.result,
        reason: job.reason,
      },
      step: this.lastStep.kind,
    };
    if (this.engineError) return { healthy: false, summary: this.engineError, details };
    if (!job) return { healthy: true, summary: 'no update', details };
    const waiting = this.lastStep.kind === 'wait' ? ` (${this.lastStep.reason})` : '';
    return { healthy: true, summary: `${job.version}: ${job.phase}${waiting}`, details };
  }
}
