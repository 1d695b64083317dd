/**
 * What the fleet sees on `<prefix>/<id>/update` (balena's report.ts idea: diffed, throttled).
 * - State (phase, waiting reason, result, failure reason) is published *retained* whenever it
 *   changes, so a dashboard that subscribes later still sees where every device stands.
 * - Progress (download bytes, RAUC's install percentage) is published *not retained*, at most once
 *   per interval; the retained state is not overwritten by it.
 */
import type { JobPhase, JobResult, UpdateJob } from './job.js';

export interface UpdateStatePayload {
  jobId: string;
  version: string;
  phase: JobPhase;
  ts: string;
  fromSlot?: string;
  targetSlot?: string;
  waiting?: { reason: string; detail: string; until?: string };
  progress?: { stage: 'download' | 'install'; percent: number; detail?: string };
  result?: JobResult;
  reason?: string;
}

export type UpdatePublish = (payload: UpdateStatePayload, opts: { retain: boolean }) => void;

export class UpdateReporter {
  private lastKey = '';
  private lastProgressAt = -Infinity;

  constructor(
    private readonly publish: UpdatePublish,
    private readonly intervalMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Publish the job's state (retained) if it differs from the last one sent. */
  state(job: UpdateJob, waiting?: UpdateStatePayload['waiting']): void {
    const w = waiting ? { reason: waiting.reason, detail: waiting.detail, until: waiting.until } : undefined;
    const key = JSON.stringify([job.id, job.phase, job.result, job.reason, w?.reason, w?.until]);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.publish(
      {
        jobId: job.id,
        version: job.version,
        phase: job.phase,
        ts: new Date().toISOString(),
        fromSlot: job.fromSlot,
        targetSlot: job.targetSlot,
        waiting: w,
        result: job.result,
        reason: job.reason,
      },
      { retain: true },
    );
  }

  /** Publish progress (not retained), throttled; the final 100 % always goes out. */
  progress(job: UpdateJob, p: NonNullable<UpdateStatePayload['progress']>): void {
    const now = this.clock();
    if (p.percent < 100 && now - this.lastProgressAt < this.intervalMs) return;
    this.lastProgressAt = now;
    this.publish(
      { jobId: job.id, version: job.version, phase: job.phase, ts: new Date().toISOString(), progress: p },
      { retain: false },
    );
  }
}
