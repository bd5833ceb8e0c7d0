import type pg from 'pg';
import type { ControlSignal } from '../../domain/controlSignal.js';
import type { HistoryEvent } from '../../domain/action.js';
import { isConnectionFailure, isLostRace, storeError } from './pgErrors.js';
import { PgTransaction } from './PgTransaction.js';

/** Steps committed together at most; more wait for the next batch. */
const MAX_BATCH = 128;
/**
 * Batches in flight at once, each on its own connection. One: batches that ran beside each
 * other only overlapped their first round trips, then queued at the history head (held
 * from the events' write to COMMIT), and each was smaller, so the same steps cost more
 * statements, commits and head hand-overs. With one, bench:postgres ran 15% more
 * lifecycles a second on one replica and 40% more on two than with three.
 */
const PARALLEL_BATCHES = 1;
/** A batch that lost a deadlock or serialization race to another replica is run again this many times. */
const MAX_RETRIES = 3;

export type Work<T> = (tx: PgTransaction) => Promise<T>;

interface Pending {
  readonly work: Work<unknown>;
  /** The actions the step will lock: locked for the whole batch in one statement before its steps run. */
  readonly lockIds: readonly string[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

export interface CheckedOut {
  readonly client: pg.PoolClient;
  done(broken: Error | undefined): void;
}

export interface Committed {
  readonly events: readonly HistoryEvent[];
  readonly signals: readonly ControlSignal[];
}

/** Hears what each batch numbered: before its COMMIT, then once it committed or its COMMIT failed. */
export interface CommitWatcher {
  committing(effects: Committed): void;
  committed(effects: Committed): void;
  /** COMMIT failed: it may or may not have committed. */
  uncertain(effects: Committed): void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly err: unknown };

/**
 * Group commit for PostgreSQL: the steps that arrive while a batch commits run next,
 * together, in one transaction. One COMMIT (one WAL flush, one turn of the history
 * head's lock) serves them all, so durable throughput is not capped by how often the
 * disk can flush; the rows they name are locked in one statement and what they change
 * is written in one (PgTransaction), so neither is capped by round trips per step. A
 * step that is refused changes nothing and leaves the others be. Every step's promise
 * settles only after the COMMIT.
 */
export class PgGroupCommitter {
  private queue: Pending[] = [];
  private running = 0;

  constructor(
    private readonly connect: () => Promise<CheckedOut>,
    private readonly clock: () => number,
    private readonly watcher: CommitWatcher,
    /** The webhook keys a notification is recorded for, as they stand when a batch starts. */
    private readonly notificationTargets: () => readonly string[] = () => [],
  ) {}

  /** `lockIds`: the actions `work` will lock, if known beforehand (a hint; it may lock others). */
  run<T>(work: Work<T>, lockIds: readonly string[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, lockIds, resolve: resolve as (value: unknown) => void, reject });
      if (this.running < PARALLEL_BATCHES) {
        this.running += 1;
        void this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.commitBatch(batch);
      }
    } finally {
      this.running -= 1;
    }
  }

  private async commitBatch(batch: readonly Pending[]): Promise<void> {
    // First without savepoints (two round trips fewer per step); a step refused after it
    // wrote to the database sends the batch round again with one savepoint per step, so it fails alone.
    let isolate = false;
    for (let attempt = 0; ; attempt += 1) {
      let outcomes: Outcome[] | 'isolate';
      try {
        outcomes = await this.once(batch, isolate || batch.length === 1);
      } catch (err) {
        if (isLostRace(err) && attempt < MAX_RETRIES) continue;
        const failure = storeError(err);
        for (const pending of batch) pending.reject(failure);
        return;
      }
      if (outcomes === 'isolate') {
        isolate = true;
        continue;
      }
      outcomes.forEach((outcome, i) => (outcome.ok ? batch[i]!.resolve(outcome.value) : batch[i]!.reject(outcome.err)));
      return;
    }
  }

  /**
   * One transaction over the batch; throws only for what undoes all of it. A step refused
   * before it wrote anything is simply forgotten (PgTransaction holds its changes back).
   * Without `isolate`, one refused after it wrote rolls the whole batch back and asks for
   * another round; with it, each step writes its changes under its own savepoint.
   */
  private async once(batch: readonly Pending[], isolate: boolean): Promise<Outcome[] | 'isolate'> {
    const { client, done } = await this.connect();
    const tx = new PgTransaction(client, this.clock(), this.notificationTargets());
    const savepoints = isolate && batch.length > 1;
    let broken: Error | undefined;
    try {
      await tx.begin();
      await tx.lockActions(batch.flatMap((pending) => pending.lockIds));
      const outcomes: Outcome[] = [];
      for (const pending of batch) {
        const mark = tx.mark();
        if (savepoints) await client.query('SAVEPOINT step');
        try {
          outcomes.push({ ok: true, value: await pending.work(tx) });
          if (savepoints) {
            await tx.flush();
            await client.query('RELEASE SAVEPOINT step');
          }
        } catch (err) {
          if (isConnectionFailure(err) || isLostRace(err)) throw err;
          if (savepoints) await client.query('ROLLBACK TO SAVEPOINT step');
          else if (!tx.untouchedSince(mark)) throw err;
          tx.restore(mark);
          outcomes.push({ ok: false, err });
        }
      }
      const effects = await tx.finish();
      this.watcher.committing(effects);
      try {
        await client.query('COMMIT');
      } catch (err) {
        this.watcher.uncertain(effects);
        throw err;
      }
      this.watcher.committed(effects);
      return outcomes;
    } catch (err) {
      broken = await rollback(client, err);
      if (isConnectionFailure(err) || isLostRace(err)) throw err;
      if (batch.length === 1) return [{ ok: false, err: storeError(err) }];
      if (!isolate) return 'isolate';
      throw err;
    } finally {
      done(broken);
    }
  }
}

/** Rolls back after a failure; returns the error to release the connection with when it is no longer usable. */
export async function rollback(client: pg.PoolClient, failure: unknown): Promise<Error | undefined> {
  if (isConnectionFailure(failure)) return failure instanceof Error ? failure : new Error('connection lost');
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error('rollback failed');
  }
}
