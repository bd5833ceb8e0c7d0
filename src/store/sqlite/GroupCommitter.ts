import type Database from 'better-sqlite3';

interface Job<T, E> {
  readonly work: (sideEffects: E[]) => T;
  readonly resolve: (value: T) => void;
  readonly reject: (reason: unknown) => void;
  readonly sideEffects: E[];
}

/**
 * Commits the writes that arrive in the same turn of the event loop as one
 * transaction, so many RPCs share one fsync. Each job runs in its own savepoint:
 * a job that throws is rolled back alone and the others still commit. Nothing
 * resolves before the commit is durable (`durable` has resolved for it), and a
 * job's side effects (history events to publish) are handed to `afterCommit`
 * only if it committed, in commit order.
 */
export class GroupCommitter<E> {
  private queue: Job<any, E>[] = [];
  private scheduled = false;
  private closed = false;
  /** Settles once everything committed so far is durable. */
  private lastDurable: Promise<void> = Promise.resolve();
  private readonly begin;
  private readonly commit;
  private readonly rollback;
  private readonly savepoint;
  private readonly release;
  private readonly rollbackToSavepoint;

  constructor(
    private readonly db: Database.Database,
    private readonly afterCommit: (sideEffects: E[]) => void,
    /** Resolves once what has been committed so far is on disk. */
    private readonly durable: () => Promise<void>,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT job');
    this.release = db.prepare('RELEASE job');
    this.rollbackToSavepoint = db.prepare('ROLLBACK TO job');
  }

  run<T>(work: (sideEffects: E[]) => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve, reject, sideEffects: [] });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs what is queued now; later calls wait for the next flush. */
  flush(): void {
    this.scheduled = false;
    const jobs = this.queue;
    this.queue = [];
    if (jobs.length === 0) return;
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.begin.run();
      for (const job of jobs) outcomes.push(this.runJob(job));
      this.commit.run();
    } catch (err) {
      if (this.db.inTransaction) this.rollback.run();
      const failure = new Error('the database refused the transaction', { cause: err });
      for (const job of jobs) job.reject(failure);
      return;
    }
    // A commit counts as durable only once every commit before it is too, so
    // callers are answered, and effects published, in commit order.
    const durable = Promise.all([this.lastDurable, this.durable()]).then(() => {});
    this.lastDurable = durable;
    durable.then(
      () => this.settle(jobs, outcomes),
      (err: unknown) => {
        const failure = new Error('the transaction was committed but could not be made durable', { cause: err });
        for (const job of jobs) job.reject(failure);
      },
    );
  }

  /** Waits until every write committed before this call is durable; reads use it so they never show what a crash could undo. */
  durableSoFar(): Promise<void> {
    return this.lastDurable;
  }

  private settle(jobs: Job<unknown, E>[], outcomes: { ok: boolean; value: unknown }[]): void {
    const committed: E[] = [];
    jobs.forEach((job, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) {
        committed.push(...job.sideEffects);
        job.resolve(outcome.value);
      } else {
        job.reject(outcome.value);
      }
    });
    if (committed.length > 0) this.afterCommit(committed);
  }

  private runJob(job: Job<unknown, E>): { ok: boolean; value: unknown } {
    this.savepoint.run();
    try {
      const value = job.work(job.sideEffects);
      this.release.run();
      return { ok: true, value };
    } catch (err) {
      this.rollbackToSavepoint.run();
      this.release.run();
      job.sideEffects.length = 0;
      return { ok: false, value: err };
    }
  }

  /** Commits what is queued, refuses new work, and resolves once all of it is durable. */
  close(): Promise<void> {
    this.flush();
    this.closed = true;
    return this.lastDurable.catch(() => {});
  }
}
