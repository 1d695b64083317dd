/**
 * The update job as it is persisted in `<stateDir>/ota/job.json`. Every phase change is written
 * (atomically: temp file + rename) *before* the step that depends on it runs, so a power cut or a
 * reboot at any point resumes the job in the right place: a half-done download resumes, an install
 * interrupted by a crash is redone (RAUC writes the inactive slot only), a reboot is recognised by
 * the boot id changing.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type JobPhase =
  | 'downloading'
  | 'verifying'
  | 'inspecting'
  | 'installing'
  /** Installed into the other slot; the reboot waits for the lock and the window. */
  | 'installed'
  /** Reboot requested into targetSlot; what we find after the restart decides. */
  | 'rebooting'
  /** Booted into the new slot: the health gate runs. */
  | 'checking'
  /** The health gate failed: new slot marked bad, old one active; reboot back requested. */
  | 'rolling_back'
  | 'done'
  | 'failed';

export type JobResult = 'updated' | 'rolled_back' | 'failed';

export interface UpdateJob {
  id: string;
  version: string;
  url: string;
  sha256: string;
  size?: number;
  /** ISO time after which the reboot no longer waits for the maintenance window. */
  deadline?: string;
  /** "HH:MM-HH:MM" local time; empty = any time. */
  window: string;
  phase: JobPhase;
  downloadAttempts: number;
  /** ISO time before which a failed download is not retried. */
  retryAt?: string;
  /** Bootname we ran from when the job started, and the one RAUC installed into. */
  fromSlot?: string;
  targetSlot?: string;
  manifestHash?: string;
  /** Boot id (kernel) at the moment the reboot was requested. */
  rebootBootId?: string;
  /** ms epoch when the health gate started (after the reboot). */
  gateStartedAt?: number;
  result?: JobResult;
  reason?: string;
  /** ISO times. */
  createdAt: string;
  updatedAt: string;
}

export const TERMINAL: ReadonlySet<JobPhase> = new Set(['done', 'failed']);

export class JobStore {
  readonly file: string;

  /**
   * @param dir where job.json lives (state that must survive reboots)
   * @param downloadDir where bundles are downloaded (defaults to dir); must be visible to RAUC's
   *   daemon, so never a service-private /tmp
   */
  constructor(
    readonly dir: string,
    readonly downloadDir: string = dir,
  ) {
    this.file = path.join(dir, 'job.json');
  }

  /** The persisted job, or undefined. A corrupt file is moved aside (never silently reused). */
  async load(): Promise<UpdateJob | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const job = JSON.parse(text) as UpdateJob;
      if (typeof job.id !== 'string' || typeof job.phase !== 'string') throw new Error('not a job');
      return job;
    } catch {
      await rename(this.file, `${this.file}.corrupt`).catch(() => {});
      return undefined;
    }
  }

  async save(job: UpdateJob): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, `${JSON.stringify(job, null, 2)}\n`);
    await rename(tmp, this.file);
  }

  bundlePath(job: UpdateJob): string {
    return path.join(this.downloadDir, `bundle-${job.sha256.slice(0, 16)}.raucb`);
  }

  partPath(job: UpdateJob): string {
    return `${this.bundlePath(job)}.part`;
  }
}
