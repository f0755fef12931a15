// Where instances run. The scheduler decides what runs when; an executor only runs what it is given.
import type { InstanceJob, JobOutcome } from './job.js';

export interface Executor {
  readonly name: string;
  /** How many instances may run at once. */
  readonly slots: number;
  run(job: InstanceJob, progress: (fraction: number, message?: string) => void): Promise<JobOutcome>;
  /** Asks running instances to stop; they finish with `interrupted`. */
  abort(): void;
  close(): Promise<void>;
}
