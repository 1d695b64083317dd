/**
 * The update executor: gathers facts, asks the planner for the next step, performs it, persists the
 * new phase, reports. One step per `runOnce()`; the component calls it from a short loop and never
 * waits inside the loop (downloads and installs take minutes and must not stall liveness).
 *
 * Every failure becomes a job in phase `failed` with a reason the fleet can read; nothing here throws
 * past runOnce() except programming errors.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { type UpdateCommand, UpdateRefusal } from './command.js';
import { DownloadError, downloadBundle, verifySha256 } from './download.js';
import { type UpdateEngine, UpdateEngineError } from './engine.js';
import type { GateVerdict } from './health-gate.js';
import { type JobPhase, type JobStore, TERMINAL, type UpdateJob } from './job.js';
import { type Facts, nextStep, type Step } from './planner.js';
import type { UpdateReporter } from './reporter.js';

export interface RunnerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RunnerDeps {
  engine: UpdateEngine;
  store: JobStore;
  lock: { isHeld(): boolean };
  reporter: UpdateReporter;
  /** Ask the system to reboot (systemctl reboot). Resolves once the request is accepted. */
  reboot: () => Promise<void>;
  /** The kernel's boot id (/proc/sys/kernel/random/boot_id); changes on every boot. */
  bootId: () => Promise<string>;
  gate: () => GateVerdict;
  log: RunnerLog;
  limits: {
    maxBundleBytes: number;
    minFreeBytes: number;
    gateTimeoutMs: number;
    defaultWindow: string;
    maxDownloadAttempts?: number;
    /** After a reboot request, wait this long for the machine to go down before asking again. */
    rebootGraceMs?: number;
  };
  clock?: () => Date;
}

export class UpdateRunner {
  private job?: UpdateJob;
  private loaded = false;
  private rebootRequestedAt?: number;
  /** Aborts a running download when the component stops (the job resumes from disk later). */
  private readonly aborter = new AbortController();
  private readonly now: () => Date;

  constructor(private readonly d: RunnerDeps) {
    this.now = d.clock ?? (() => new Date());
  }

  /** Stop work in flight (a download); the persisted job is resumed by the next runner. */
  abort(): void {
    this.aborter.abort(new Error('update component stopping'));
  }

  current(): UpdateJob | undefined {
    return this.job;
  }

  private async ensureLoaded(): Promise<void> {
    if (this.loaded) return;
    this.job = await this.d.store.load();
    this.loaded = true;
  }

  /** Accept an `update` command: create and persist the job, or refuse with a reason. */
  async accept(cmd: UpdateCommand): Promise<{ jobId: string; phase: JobPhase; duplicate?: boolean }> {
    await this.ensureLoaded();
    const cur = this.job;
    if (cur && !TERMINAL.has(cur.phase)) {
      if (cur.sha256 === cmd.sha256.toLowerCase() && cur.version === cmd.version)
        return { jobId: cur.id, phase: cur.phase, duplicate: true };
      throw new UpdateRefusal(
        'busy',
        `update to ${cur.version} in progress (phase ${cur.phase}); send it again when it has finished`,
      );
    }
    let fromSlot: string;
    try {
      fromSlot = await this.d.engine.bootSlot();
    } catch (err) {
      throw new UpdateRefusal('failed', `update engine not available: ${(err as Error).message}`);
    }
    const ts = this.now().toISOString();
    const job: UpdateJob = {
      id: `upd-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
      version: cmd.version,
      url: cmd.url,
      sha256: cmd.sha256.toLowerCase(),
      size: cmd.size,
      deadline: cmd.deadline,
      window: cmd.window ?? this.d.limits.defaultWindow,
      phase: 'downloading',
      downloadAttempts: 0,
      fromSlot,
      createdAt: ts,
      updatedAt: ts,
    };
    await this.d.store.save(job);
    this.job = job;
    this.d.reporter.state(job);
    this.d.log.info({ job: job.id, version: job.version, url: job.url }, 'update accepted');
    return { jobId: job.id, phase: job.phase };
  }

  /** Plan and perform one step; returns the step taken (tests drive the job with it). */
  async runOnce(): Promise<Step> {
    await this.ensureLoaded();
    const job = this.job;
    if (!job || TERMINAL.has(job.phase)) return { kind: 'idle' };
    const grace = this.d.limits.rebootGraceMs ?? 120_000;
    if (this.rebootRequestedAt !== undefined && Date.now() - this.rebootRequestedAt < grace) {
      return {
        kind: 'wait',
        reason: 'reboot',
        detail: 'reboot requested; waiting for the machine to go down',
      };
    }
    let facts: Facts;
    try {
      facts = await this.facts(job);
    } catch (err) {
      const step: Step = {
        kind: 'wait',
        reason: 'engine',
        detail: `update engine not available: ${(err as Error).message}`,
      };
      this.d.reporter.state(job, { reason: step.reason, detail: step.detail });
      return step;
    }
    const step = nextStep(job, facts);
    await this.perform(job, step);
    return step;
  }

  private async facts(job: UpdateJob): Promise<Facts> {
    const afterBoot = job.phase === 'rebooting' || job.phase === 'checking' || job.phase === 'rolling_back';
    return {
      now: this.now(),
      lockHeld: this.d.lock.isHeld(),
      bootId: await this.d.bootId(),
      bootSlot: afterBoot ? await this.d.engine.bootSlot() : (job.fromSlot ?? ''),
      health: job.phase === 'checking' ? this.d.gate() : undefined,
      gateTimeoutMs: this.d.limits.gateTimeoutMs,
      maxDownloadAttempts: this.d.limits.maxDownloadAttempts ?? 5,
    };
  }

  private async save(job: UpdateJob, patch: Partial<UpdateJob>): Promise<void> {
    Object.assign(job, patch, { updatedAt: this.now().toISOString() });
    await this.d.store.save(job);
    this.d.reporter.state(job);
  }

  private async perform(job: UpdateJob, step: Step): Promise<void> {
    try {
      await this.performStep(job, step);
    } catch (err) {
      // Stopping is not a failure: the phase on disk is resumed by the next runner.
      if (this.aborter.signal.aborted) return;
      // RAUC's connection lost mid-install is not the bundle's fault either: redo the step later.
      if (err instanceof UpdateEngineError && err.code === 'unreachable') {
        this.d.log.warn({ job: job.id, err: err.message }, 'update engine unreachable; will retry');
        return;
      }
      await this.fail(
        job,
        err instanceof UpdateEngineError || err instanceof DownloadError
          ? err.message
          : `unexpected: ${(err as Error).message}`,
      );
    }
  }

  private async performStep(job: UpdateJob, step: Step): Promise<void> {
    const { engine, store } = this.d;
    switch (step.kind) {
      case 'idle':
        return;
      case 'wait':
        this.d.reporter.state(job, {
          reason: step.reason,
          detail: step.detail,
          until: step.until?.toISOString(),
        });
        return;
      case 'download':
        return this.download(job);
      case 'verify':
        try {
          await verifySha256(store.partPath(job), job.sha256);
        } catch (err) {
          await rm(store.partPath(job), { force: true }); // a corrupt file must not be resumed
          throw err;
        }
        await rename(store.partPath(job), store.bundlePath(job));
        return this.save(job, { phase: 'inspecting' });
      case 'inspect': {
        const info = await engine.inspect(store.bundlePath(job));
        if (info.version !== job.version) {
          return this.fail(job, `bundle version is ${info.version}, the command says ${job.version}`);
        }
        return this.save(job, { phase: 'installing', manifestHash: info.manifestHash });
      }
      case 'install':
        return this.install(job);
      case 'reboot': {
        const bootId = await this.d.bootId();
        await this.save(job, {
          phase: step.why === 'update' ? 'rebooting' : 'rolling_back',
          rebootBootId: bootId,
          // A rollback keeps the gate's reason for the final report; an earlier refusal is history.
          reason: step.why === 'update' ? undefined : job.reason,
        });
        this.d.log.info({ job: job.id, why: step.why }, 'rebooting');
        this.rebootRequestedAt = Date.now();
        try {
          await this.d.reboot();
        } catch (err) {
          // The slot is installed and primary: failing the job now would leave it unchecked after the
          // next reboot. Step back and ask again after the grace period instead.
          this.d.log.warn({ job: job.id, err: (err as Error).message }, 'reboot request failed');
          await this.save(job, {
            phase: step.why === 'update' ? 'installed' : 'rolling_back',
            rebootBootId: undefined,
            reason: step.why === 'update' ? `reboot request failed: ${(err as Error).message}` : job.reason,
          });
        }
        return;
      }
      case 'not_rebooted':
        this.d.log.warn({ job: job.id }, 'reboot was requested but the machine did not reboot; asking again');
        return this.save(job, { phase: 'installed', rebootBootId: undefined });
      case 'landed':
        if (step.phase === 'checking')
          return this.save(job, { phase: 'checking', gateStartedAt: this.now().getTime() });
        await this.save(job, { phase: step.phase, result: step.result, reason: step.reason });
        return this.cleanup(job);
      case 'mark_good': {
        const r = await engine.mark('good', 'booted');
        this.d.log.info({ job: job.id, slot: r.slot, message: r.message }, 'update good');
        await this.save(job, { phase: 'done', result: 'updated', reason: undefined });
        return this.cleanup(job);
      }
      case 'mark_bad': {
        this.d.log.warn({ job: job.id, reason: step.reason }, 'health gate failed; rolling back');
        await engine.mark('bad', 'booted');
        await engine.mark('active', 'other');
        return this.save(job, { phase: 'rolling_back', reason: step.reason, rebootBootId: undefined });
      }
      case 'fail':
        return this.fail(job, step.reason);
    }
  }

  private async download(job: UpdateJob): Promise<void> {
    await this.save(job, { downloadAttempts: job.downloadAttempts + 1, retryAt: undefined });
    try {
      await downloadBundle({
        signal: this.aborter.signal,
        url: job.url,
        partPath: this.d.store.partPath(job),
        expectedSize: job.size,
        maxBytes: this.d.limits.maxBundleBytes,
        minFreeBytes: this.d.limits.minFreeBytes,
        onProgress: (got, total) =>
          this.d.reporter.progress(job, {
            stage: 'download',
            percent: total ? Math.floor((got * 100) / total) : 0,
            detail: `${got} bytes`,
          }),
      });
    } catch (err) {
      if (err instanceof DownloadError && err.code === 'network') {
        // Transient: keep the partial file and retry with exponential backoff (5 s, 10 s, 20 s …).
        const delay = 5000 * 2 ** (job.downloadAttempts - 1);
        this.d.log.warn({ job: job.id, err: err.message, retryInMs: delay }, 'download interrupted');
        return this.save(job, {
          reason: err.message,
          retryAt: new Date(this.now().getTime() + delay).toISOString(),
        });
      }
      throw err;
    }
    await this.save(job, { phase: 'verifying', reason: undefined });
  }

  private async install(job: UpdateJob): Promise<void> {
    const path = this.d.store.bundlePath(job);
    await this.d.engine.install(
      path,
      { compatible: '', version: job.version, manifestHash: job.manifestHash },
      (p) => this.d.reporter.progress(job, { stage: 'install', percent: p.percent, detail: p.message }),
    );
    const primary = await this.d.engine.primary();
    const target = (await this.d.engine.slots()).find((s) => s.name === primary)?.bootname;
    await rm(path, { force: true }); // the data partition is small; the slot holds the update now
    if (!target || target === job.fromSlot) {
      return this.fail(
        job,
        `after install the primary slot is ${primary} (${target ?? 'no bootname'}), not the other slot`,
      );
    }
    await this.save(job, { phase: 'installed', targetSlot: target });
  }

  private async fail(job: UpdateJob, reason: string): Promise<void> {
    this.d.log.warn({ job: job.id, phase: job.phase, reason }, 'update failed');
    await this.save(job, { phase: 'failed', result: 'failed', reason: `${job.phase}: ${reason}` });
    await this.cleanup(job);
  }

  private async cleanup(job: UpdateJob): Promise<void> {
    await rm(this.d.store.partPath(job), { force: true });
    await rm(this.d.store.bundlePath(job), { force: true });
  }
}
