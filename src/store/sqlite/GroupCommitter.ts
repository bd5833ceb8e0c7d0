import type Database from 'better-sqlite3';
import { StoreFullError, StoreUnavailableError } from '../storeErrors.js';

interface Job<T, E> {
  readonly work: (sideEffects: E[]) => T;
  readonly resolve: (value: T) => void;
  readonly reject: (reason: unknown) => void;
  readonly sideEffects: E[];
  /** A kill-switch write: still taken while the disk is full. */
  readonly essential: boolean;
  /** Already run once in a batch that ran out of space. */
  retried: boolean;
}

export interface RunOptions {
  /** Taken even while the disk is full (pause, resume, terminate, halt, unhalt, acks). */
  readonly essential?: boolean;
}

/** SQLite ran out of space, whether the statement or the COMMIT said so. */
export function isDiskFull(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === 'SQLITE_FULL') return true;
  }
  return false;
}

type Outcome = { ok: boolean; value: unknown };

export interface GroupCommitOptions {
  /**
   * Settles once what an earlier process committed is on disk: one killed
   * between its COMMIT and its sync left writes that only the page cache holds.
   */
  readonly initiallyDurable?: Promise<void>;
  /** Called once, when a commit could not be made durable. */
  readonly onDurabilityLost?: (err: Error) => void;
  /** A write failed for space: free what can be freed (the disk reserve) before essential writes are retried. */
  readonly onDiskFull?: () => void;
  /** A transaction is starting, or some of its writes were undone: what the jobs cached of it is stale. */
  readonly forgetCached?: () => void;
}

/**
 * Commits the writes that arrive in the same turn of the event loop as one
 * transaction, so many RPCs share one fsync. A job that throws is undone alone
 * and the others still commit. Nothing
 * resolves before the commit is durable (`durable` has resolved for it), and a
 * job's side effects (history events to publish) are handed to `afterCommit`
 * only if it committed, in commit order.
 */
export class GroupCommitter<E> {
  private queue: Job<any, E>[] = [];
  private scheduled = false;
  /** A commit is waiting for its sync. */
  private syncing = false;
  private closed = false;
  /** Set once a commit could not be made durable: what is on disk is unknown from then on. */
  private lost: Error | null = null;
  /** A write failed for space and nobody has said there is space again: only essential writes are taken. */
  private full = false;
  /** Settles once everything committed so far is durable. */
  private lastDurable: Promise<void>;
  private readonly begin;
  private readonly commit;
  private readonly rollback;
  private readonly savepoint;
  private readonly release;
  private readonly rollbackToSavepoint;
  private readonly totalChanges;

  constructor(
    private readonly db: Database.Database,
    private readonly afterCommit: (sideEffects: E[]) => void,
    /** Resolves once what has been committed so far is on disk. */
    private readonly durable: () => Promise<void>,
    private readonly options: GroupCommitOptions = {},
  ) {
    this.lastDurable = options.initiallyDurable ?? Promise.resolve();
    this.lastDurable.catch((err: unknown) => this.loseDurability(err));
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT job');
    this.release = db.prepare('RELEASE job');
    this.rollbackToSavepoint = db.prepare('ROLLBACK TO job');
    this.totalChanges = db.prepare('SELECT total_changes()').pluck();
  }

  run<T>(work: (sideEffects: E[]) => T, options: RunOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the store is closed; the server is shutting down'));
    if (this.lost !== null) return Promise.reject(this.lost);
    const essential = options.essential ?? false;
    if (this.full && !essential) return Promise.reject(fullError());
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve, reject, sideEffects: [], essential, retried: false });
      this.schedule();
    });
  }

  get diskFull(): boolean {
    return this.full;
  }

  /** Space has been freed (and the reserve rebuilt): every write is taken again. */
  spaceAvailable(): void {
    this.full = false;
  }

  /**
   * One commit waits for its sync at a time. What arrives meanwhile is held and
   * committed together once that sync is done: its own sync could not have
   * started any sooner, and fewer, larger commits write fewer WAL pages.
   */
  private schedule(): void {
    if (this.scheduled || this.syncing) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Runs what is queued now; later calls wait for the next flush. */
  flush(): void {
    this.scheduled = false;
    const jobs = this.queue;
    this.queue = [];
    if (jobs.length === 0) return;
    if (this.lost !== null) {
      for (const job of jobs) job.reject(this.lost);
      return;
    }
    let outcomes: Outcome[] | null;
    try {
      this.beginTransaction();
      outcomes = this.runWithoutSavepoints(jobs);
      if (outcomes === null) {
        this.rollback.run();
        this.beginTransaction();
        outcomes = jobs.map((job) => this.runInSavepoint(job));
      }
      this.commit.run();
    } catch (err) {
      this.forgetCached();
      if (this.db.inTransaction) this.rollback.run();
      if (isDiskFull(err)) {
        this.outOfSpace(jobs);
        return;
      }
      const failure = new Error('the database refused the transaction', { cause: err });
      for (const job of jobs) job.reject(failure);
      return;
    }
    // A commit counts as durable only once every commit before it is too, so
    // callers are answered, and effects published, in commit order.
    const settled = outcomes;
    let synced: Promise<void>;
    try {
      synced = this.durable();
    } catch (err) {
      synced = Promise.reject(err);
    }
    const durable = Promise.all([this.lastDurable, synced]).then(() => {});
    this.lastDurable = durable;
    this.syncing = true;
    durable.then(
      () => {
        try {
          this.settle(jobs, settled);
        } finally {
          this.syncDone();
        }
      },
      (err: unknown) => {
        const failure = this.loseDurability(err);
        for (const job of jobs) job.reject(failure);
        this.syncDone();
      },
    );
  }

  private beginTransaction(): void {
    this.forgetCached();
    this.begin.run();
  }

  private forgetCached(): void {
    this.options.forgetCached?.();
  }

  /**
   * The batch ran out of space and was rolled back. From now on only essential
   * writes are taken; this batch's essential writes run once more, after the
   * reserve has been released to make room for them.
   */
  private outOfSpace(jobs: Job<unknown, E>[]): void {
    this.full = true;
    this.options.onDiskFull?.();
    const retry: Job<unknown, E>[] = [];
    for (const job of jobs) {
      job.sideEffects.length = 0;
      if (job.essential && !job.retried) {
        job.retried = true;
        retry.push(job);
      } else {
        job.reject(fullError());
      }
    }
    if (retry.length === 0) return;
    this.queue.unshift(...retry);
    this.schedule();
  }

  private syncDone(): void {
    this.syncing = false;
    if (this.queue.length > 0) this.schedule();
  }

  /** From now on every write is refused before it reaches the database, and every read fails (durableSoFar stays rejected). */
  private loseDurability(cause: unknown): Error {
    if (this.lost === null) {
      this.lost = new StoreUnavailableError('a commit could not be made durable; the store refuses writes until it is restarted', { cause });
      this.options.onDurabilityLost?.(this.lost);
    }
    return this.lost;
  }

  /** Waits until every write committed before this call is durable; reads use it so they never show what a crash could undo. */
  durableSoFar(): Promise<void> {
    return this.lastDurable;
  }

  private settle(jobs: Job<unknown, E>[], outcomes: Outcome[]): void {
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

  /**
   * The fast path. A savepoint per job makes SQLite copy every page the job
   * touches into a sub-journal, which costs more than the job's own writes; yet
   * almost every job that fails, fails while deciding, before it writes. Such a
   * job needs no undo, and one that wrote nothing leaves total_changes() as it
   * found it. Returns null when a job threw after writing: the caller then rolls
   * the whole batch back and runs it again with a savepoint per job.
   */
  private runWithoutSavepoints(jobs: Job<unknown, E>[]): Outcome[] | null {
    const outcomes: Outcome[] = [];
    for (const job of jobs) {
      const changesBefore = this.totalChanges.get();
      try {
        outcomes.push({ ok: true, value: job.work(job.sideEffects) });
      } catch (err) {
        this.forgetCached();
        // Some errors (SQLITE_FULL, IOERR) roll back the whole transaction, not the
        // statement: the batch is gone, and going on would commit later jobs one by one.
        // Out of space, the whole batch is handled as one, rolled back or not.
        if (!this.db.inTransaction || isDiskFull(err)) throw err;
        if (this.totalChanges.get() !== changesBefore) {
          for (const queued of jobs) queued.sideEffects.length = 0;
          return null;
        }
        job.sideEffects.length = 0;
        outcomes.push({ ok: false, value: err });
      }
    }
    return outcomes;
  }

  private runInSavepoint(job: Job<unknown, E>): Outcome {
    this.savepoint.run();
    try {
      const value = job.work(job.sideEffects);
      this.release.run();
      return { ok: true, value };
    } catch (err) {
      this.forgetCached();
      if (!this.db.inTransaction || isDiskFull(err)) throw err;
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

function fullError(): StoreFullError {
  return new StoreFullError('the disk under the data directory is full: only pause, resume, terminate, halt and unhalt are taken until space is freed');
}
