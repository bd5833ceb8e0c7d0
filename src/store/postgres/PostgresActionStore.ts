import pg from 'pg';
import { actionRecord, withHistory, type Action, type ActionWithHistory, type HistoryEvent, type NewAction } from '../../domain/action.js';
import { haltPause, planControl, requireHaltChange, unhaltResume, type ActionControlMove } from '../../domain/control.js';
import type { Acknowledgement, ControlSignal, HaltState } from '../../domain/controlSignal.js';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { requireSameProposal } from '../../domain/proposal.js';
import type {
  ActionFilter, ActionStore, ChainCheck, ClaimFilter, CommitListener, CreateResult, Decide, EventListener, ExpiredIds, Judge, Judgement, OutboxMessage,
  StoreStats,
} from '../ActionStore.js';
import type { AckOutcome, ControlSnapshot, SignalListener } from '../ControlStore.js';
import { StoreUnavailableError, type StoreHealth } from '../storeErrors.js';
import { uuidv7 } from '../uuidv7.js';
import { connectionConfig } from './connectionConfig.js';
import { postgresStartupError } from './postgresStartupError.js';
import { migrate } from './migrate.js';
import { isConnectionFailure, storeError } from './pgErrors.js';
import { PgGroupCommitter, rollback, type CheckedOut } from './PgGroupCommitter.js';
import { PgListener } from './PgListener.js';
import { PgOutbox } from './PgOutbox.js';
import { actionFromRow, eventFromRow } from './pgRows.js';
import type { HeldAction } from './HeldActions.js';
import { PgTransaction } from './PgTransaction.js';
import { SequencePump } from './SequencePump.js';
import * as acks from './sql/acknowledgeSql.js';
import * as reads from './sql/actionReads.js';
import { readHalt, readSignals, signalsAfter, signalsFor, writeHalt } from './sql/controlSql.js';
import { lockPausedByHalt, lockRunning, lockServiceApprovals } from './sql/lockRows.js';
import { heldActions, signalHighWater } from './sql/snapshotSql.js';
import type { Queryable, Statement } from './sql/Statement.js';
import { storeStats } from './sql/statsSql.js';
import { verifyChain } from './sql/verifyChainSql.js';

export interface PostgresStoreOptions {
  readonly clock?: () => number;
  /** A listener that throws, a lost listening connection, a failed catch-up read: reported here, never thrown. */
  readonly onListenerError?: (err: unknown) => void;
  /** Connections in the pool (default 10). */
  readonly poolSize?: number;
}

const EVENTS_CHANNEL = 'actiongate_events';
const SIGNALS_CHANNEL = 'actiongate_signals';
const HOUR_MS = 3600_000;
const DEFAULT_POOL_SIZE = 10;
/** How long a call waits for a connection before it is UNAVAILABLE: PostgreSQL down must not hang calls. */
const CONNECT_TIMEOUT_MS = 5_000;
const HEADS = 'SELECT (SELECT sequence FROM history_head WHERE id = 1) AS events, (SELECT sequence FROM signal_head WHERE id = 1) AS signals';

/**
 * The scale-out store: several replicas share one PostgreSQL database. Each call is one
 * transaction on a pooled connection and resolves after its COMMIT. History events and
 * control signals are numbered under a single-row counter (history_head, signal_head)
 * locked until COMMIT, so sequence order is commit order on every replica; listeners
 * hear this replica's commits at once and other replicas' through LISTEN/NOTIFY,
 * re-read by sequence, so a lost listening connection loses nothing.
 */
export class PostgresActionStore implements ActionStore {
  private readonly eventListeners = new Set<EventListener>();
  private readonly signalListeners = new Set<SignalListener>();
  private readonly commitListeners = new Set<CommitListener>();
  private readonly events: SequencePump<HistoryEvent>;
  private readonly signals: SequencePump<ControlSignal>;
  private readonly listener: PgListener;
  private readonly committer: PgGroupCommitter;
  private closed = false;
  /** Whether the last statement or connection attempt failed to reach PostgreSQL, for /readyz. */
  private unreachable = false;
  private notificationTargets: readonly string[] = [];
  private readonly outbox: PgOutbox;

  private constructor(
    private readonly pool: pg.Pool,
    config: pg.ClientConfig,
    heads: { events: number; signals: number },
    private readonly clock: () => number,
    private readonly onListenerError: (err: unknown) => void,
  ) {
    this.committer = new PgGroupCommitter(
      () => this.connect(),
      clock,
      {
        committing: (effects) => {
          this.events.committing(effects.events);
          this.signals.committing(effects.signals);
        },
        committed: (effects) => {
          this.events.committed(effects.events);
          this.signals.committed(effects.signals);
          if (effects.events.length > 0 || effects.signals.length > 0) this.notify(this.commitListeners, effects);
        },
        uncertain: (effects) => {
          this.events.uncertain(effects.events);
          this.signals.uncertain(effects.signals);
        },
      },
      () => this.notificationTargets,
    );
    const pooled: Queryable = { run: (statement, values) => this.query(statement, values) };
    this.outbox = new PgOutbox(pooled);
    this.events = new SequencePump(
      heads.events,
      async (after, limit) => (await reads.readEvents(pooled, after, {}, limit)).map(eventFromRow),
      (items) => this.notify(this.eventListeners, items),
      onListenerError,
    );
    this.signals = new SequencePump(heads.signals, (after, limit) => signalsAfter(pooled, after, limit), (items) => this.notify(this.signalListeners, items), onListenerError);
    this.listener = new PgListener(config, [EVENTS_CHANNEL, SIGNALS_CHANNEL], {
      notified: (channel, sequence) => (channel === EVENTS_CHANNEL ? this.events : this.signals).notified(sequence),
      listening: () => {
        this.events.catchUp();
        this.signals.catchUp();
      },
      onError: onListenerError,
    });
  }

  /** Connects, migrates (under an advisory lock) and starts listening; a StartupError says why it cannot. */
  static async open(databaseUrl: string, options: PostgresStoreOptions = {}): Promise<PostgresActionStore> {
    const config = connectionConfig(databaseUrl);
    const onListenerError = options.onListenerError ?? (() => {});
    const pool = new pg.Pool({ ...config, max: options.poolSize ?? DEFAULT_POOL_SIZE, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    // An idle connection that PostgreSQL closed: the pool drops it; without a handler it would end the process.
    pool.on('error', onListenerError);
    try {
      await migrate(pool);
      const { rows } = await pool.query<{ events: number; signals: number }>(HEADS);
      const store = new PostgresActionStore(pool, config, rows[0] ?? { events: 0, signals: 0 }, options.clock ?? Date.now, onListenerError);
      await store.listener.start();
      return store;
    } catch (err) {
      await pool.end().catch(() => {});
      throw postgresStartupError(databaseUrl, err);
    }
  }

  create(input: NewAction, judge?: Judge): Promise<CreateResult> {
    return this.transact(async (tx) => {
      if (input.idempotencyKey !== '') {
        const existing = await reads.actionByIdempotencyKey(tx, input.proposedBy, input.idempotencyKey);
        if (existing !== null) return replay(existing, input);
      }
      const halt = await tx.haltState();
      const now = tx.now;
      const action = actionRecord(input, {
        id: uuidv7(now), createdAt: now, updatedAt: now, status: 'PENDING', attempt: 0, lease: null, result: null, error: '',
        control: 'NONE', pausedByHalt: false, controlSequence: 0, approvedBy: [], policyVerdict: null,
      });
      let judgement: Judgement | null = null;
      if (judge !== undefined) {
        // Counted (under a lock per service, so replicas count one at a time) only for a policy whose rule has
        // an hourly limit: the lock would otherwise serialize every replica's proposals of a service.
        let counted = false;
        judgement = judge(action, () => ((counted = true), 0), halt);
        if (counted) {
          await lockServiceApprovals(tx, action.service);
          const count = await reads.approvalsSince(tx, action.service, now - HOUR_MS);
          judgement = judge(action, () => count, halt);
        }
      }
      const judged = judgement === null ? action : { ...action, policyVerdict: judgement.verdict, autonomousEligible: judgement.verdict.wouldApprove };
      const held = await tx.insert(judged);
      if (held === null) {
        // Another replica committed the same proposer's key while this one decided.
        const existing = await reads.actionByIdempotencyKey(tx, input.proposedBy, input.idempotencyKey);
        if (existing === null) throw new ConflictError('a concurrent proposal with this idempotency key was not committed; try again');
        return replay(existing, input);
      }
      const proposed = tx.appendEvent(judged, null, 'proposed', input.proposedBy);
      if (judgement?.approve == null) {
        // It waits for people: the webhooks hear of it.
        tx.notifyOf(proposed);
        return { action: withHistory(judged, [proposed]), replayed: false };
      }
      // Approved by the policy in the same transaction as the proposal.
      const approved = tx.write(held, judgement.approve(judged, now, halt));
      if (approved.action.status === 'PENDING') tx.notifyOf(proposed);
      return { action: withHistory(approved.action, approved.history), replayed: false };
    });
  }

  update(actionId: string, decide: Decide): Promise<ActionWithHistory> {
    return this.transact(async (tx) => {
      const halt = await tx.haltState();
      const held = await tx.lockAction(actionId);
      if (held === null) throw new NotFoundError('action', actionId);
      return apply(tx, held, decide, halt);
    }, [actionId]);
  }

  claimNext(filter: ClaimFilter, decide: Decide): Promise<ActionWithHistory | null> {
    return this.transact(async (tx) => {
      const halt = await tx.haltState();
      const row = await reads.lockClaimable(tx, filter);
      return row === null ? null : apply(tx, tx.hold(row), decide, halt);
    });
  }

  findExpired(now: number, limit: number): Promise<ExpiredIds> {
    return this.read((q) => reads.findExpired(q, now, limit));
  }

  async getAction(actionId: string): Promise<ActionWithHistory | null> {
    const row = await this.read((q) => reads.readAction(q, actionId));
    return row === null ? null : withHistory(actionFromRow(row), row.events.map(eventFromRow));
  }

  async listActions(filter: ActionFilter, limit: number, beforeId: string | null): Promise<Action[]> {
    return (await this.read((q) => reads.listActions(q, filter, limit, beforeId))).map(actionFromRow);
  }

  async readEvents(afterSequence: number, filter: ActionFilter, limit: number): Promise<HistoryEvent[]> {
    return (await this.read((q) => reads.readEvents(q, afterSequence, filter, limit))).map(eventFromRow);
  }

  control(actionId: string, move: ActionControlMove, issuedBy: string, reason: string): Promise<{ action: ActionWithHistory; signal: ControlSignal }> {
    return this.transact(async (tx) => {
      await tx.lockSignals();
      const held = await tx.lockAction(actionId);
      if (held === null) throw new NotFoundError('action', actionId);
      return controlRow(tx, held, move, issuedBy, reason);
    });
  }

  halt(issuedBy: string, reason: string, terminateRunning: boolean): Promise<{ halt: HaltState; affected: string[] }> {
    return this.transact(async (tx) => {
      requireHaltChange(await tx.haltState('update'), true, terminateRunning);
      const signal = await tx.insertSignal({ actionId: null, executorId: null, signal: 'HALT', reason, issuedBy, issuedAt: tx.now, terminateRunning });
      const halt = { halted: true, terminateRunning, signal };
      await writeHalt(tx, halt);
      const affected: string[] = [];
      for (const row of await lockRunning(tx)) {
        const held = tx.hold(row);
        if (terminateRunning) {
          await controlRow(tx, held, 'terminate', issuedBy, `halted: ${reason}`);
          affected.push(row.id);
          continue;
        }
        const change = haltPause(held.action);
        if (change === null) continue;
        tx.write(held, { ...change, patch: { ...change.patch, controlSequence: signal.sequence } });
        affected.push(row.id);
      }
      return { halt, affected };
    });
  }

  unhalt(issuedBy: string, reason: string): Promise<{ halt: HaltState; resumed: string[] }> {
    return this.transact(async (tx) => {
      requireHaltChange(await tx.haltState('update'), false, false);
      const signal = await tx.insertSignal({ actionId: null, executorId: null, signal: 'UNHALT', reason, issuedBy, issuedAt: tx.now, terminateRunning: false });
      const halt = { halted: false, terminateRunning: false, signal };
      await writeHalt(tx, halt);
      const resumed: string[] = [];
      for (const row of await lockPausedByHalt(tx)) {
        const held = tx.hold(row);
        const change = unhaltResume(held.action);
        if (change === null) continue;
        tx.write(held, { ...change, patch: { ...change.patch, controlSequence: signal.sequence } });
        resumed.push(row.id);
      }
      return { halt, resumed };
    });
  }

  haltState(): Promise<HaltState> {
    return this.read((q) => readHalt(q));
  }

  /** Read in one REPEATABLE READ snapshot, so no commit falls between the state and its high-water mark. */
  snapshot(executorId: string): Promise<ControlSnapshot> {
    return this.readConsistent(async (q) => ({ halt: await readHalt(q), actions: await heldActions(q, executorId), highWater: await signalHighWater(q) }));
  }

  acknowledge(executorId: string, sequences: readonly number[]): Promise<AckOutcome> {
    return this.transact((tx) => acks.acknowledge(tx, executorId, sequences, tx.now));
  }

  signalsFor(actionId: string): Promise<ControlSignal[]> {
    return this.read((q) => signalsFor(q, actionId));
  }

  acknowledgements(sequences: readonly number[]): Promise<Acknowledgement[]> {
    return this.read((q) => acks.acknowledgements(q, sequences));
  }

  verifyHistory(): Promise<ChainCheck> {
    return this.readConsistent((q) => verifyChain(q));
  }

  readSignals(afterSequence: number, filter: ActionFilter, limit: number): Promise<ControlSignal[]> {
    return this.read((q) => readSignals(q, afterSequence, filter, limit));
  }

  stats(): Promise<StoreStats> {
    return this.read((q) => storeStats(q));
  }

  routeNotifications(targets: readonly string[]): void {
    this.notificationTargets = [...targets];
  }

  claimOutbox(limit: number, now: number): Promise<OutboxMessage[]> {
    return this.outbox.claim(limit, now);
  }

  markDelivered(id: number): Promise<void> {
    return this.outbox.delivered(id);
  }

  markFailed(id: number, nextAttemptAt: number, error: string): Promise<void> {
    return this.outbox.failed(id, nextAttemptAt, error);
  }

  health(): StoreHealth {
    return { diskFull: false, reserveBytes: 0, unreachable: this.unreachable };
  }

  onEvents(listener: EventListener): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onSignals(listener: SignalListener): () => void {
    this.signalListeners.add(listener);
    return () => this.signalListeners.delete(listener);
  }

  /** Heard at this replica's COMMIT, not from the pump that also brings the other replicas' commits. */
  onCommittedHere(listener: CommitListener): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.outbox.release(this.clock()).catch(this.onListenerError);
    if (this.closed) return;
    this.closed = true;
    this.events.close();
    this.signals.close();
    await this.listener.close();
    this.eventListeners.clear();
    this.signalListeners.clear();
    this.commitListeners.clear();
    await this.pool.end();
  }

  private async query<R extends pg.QueryResultRow>(statement: Statement, values: readonly unknown[]): Promise<R[]> {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    try {
      const { rows } = await this.pool.query<R>({ name: statement.name, text: statement.text, values: [...values] });
      this.unreachable = false;
      return rows;
    } catch (err) {
      this.unreachable = isConnectionFailure(err);
      throw storeError(err);
    }
  }

  private read<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    return work({ run: (statement, values) => this.query(statement, values) });
  }

  /**
   * A connection for one transaction. While it is checked out the pool does not listen
   * for its errors: a connection lost between two statements would otherwise end the
   * process. The statement in flight fails anyway, and done(err) drops the connection.
   */
  private async connect(): Promise<CheckedOut> {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      this.unreachable = isConnectionFailure(err);
      throw storeError(err);
    }
    this.unreachable = false;
    const onError = (err: Error): void => this.onListenerError(err);
    client.on('error', onError);
    return {
      client,
      done(broken: Error | undefined): void {
        client.off('error', onError);
        client.release(broken);
      },
    };
  }

  /** Several reads that must agree with each other: one read-only REPEATABLE READ transaction. */
  private async readConsistent<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    const { client, done } = await this.connect();
    const tx = new PgTransaction(client, this.clock());
    let broken: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const value = await work(tx);
      await client.query('COMMIT');
      return value;
    } catch (err) {
      broken = await rollback(client, err);
      throw storeError(err);
    } finally {
      done(broken);
    }
  }

  /**
   * One step in a READ COMMITTED transaction shared with the steps that arrived beside it;
   * resolves after COMMIT. `lockIds`: the actions it will lock, locked with the batch's others.
   */
  private transact<T>(work: (tx: PgTransaction) => Promise<T>, lockIds: readonly string[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    return this.committer.run(work, lockIds);
  }

  private notify<T>(listeners: Set<(heard: T) => void>, heard: T): void {
    for (const listener of listeners) {
      try {
        listener(heard);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}

function replay(row: reads.ActionWithEventsRow, input: NewAction): CreateResult {
  const original = actionFromRow(row);
  requireSameProposal(original, input);
  return { action: withHistory(original, row.events.map(eventFromRow)), replayed: true };
}

/** Decides one step from the held row and records it (written guarded on the version read) with its event. */
function apply(tx: PgTransaction, held: HeldAction, decide: Decide, halt: HaltState): ActionWithHistory {
  const { action, history } = tx.write(held, decide(held.action, tx.now, halt));
  return withHistory(action, history);
}

/** Pause, resume or terminate one held action, with the signal it issues. The signal head is locked first. */
async function controlRow(
  tx: PgTransaction,
  held: HeldAction,
  move: ActionControlMove,
  issuedBy: string,
  reason: string,
): Promise<{ action: ActionWithHistory; signal: ControlSignal }> {
  const current = held.action;
  const plan = planControl(current, move, issuedBy, reason);
  const signal = await tx.insertSignal({
    actionId: current.id, executorId: plan.decision.executorId, signal: plan.decision.signal, reason, issuedBy, issuedAt: tx.now, terminateRunning: false,
  });
  const change = { ...plan.change, patch: { ...plan.change.patch, controlSequence: signal.sequence } };
  const { action, history } = tx.write(held, change);
  return { action: withHistory(action, history), signal };
}

