import { join } from 'node:path';
import { setImmediate as giveWay } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { actionRecord, withHistory, type Action, type ActionWithHistory, type HistoryEvent, type NewAction } from '../../domain/action.js';
import type { ActionControlMove } from '../../domain/control.js';
import { requireSameProposal } from '../../domain/proposal.js';
import type { Acknowledgement, ControlSignal, HaltState } from '../../domain/controlSignal.js';
import type {
  ActionFilter, ActionStore, ChainCheck, ClaimFilter, CommitListener, CreateResult, Decide, EventListener, ExpiredIds, Judge, OutboxMessage, StoreStats,
} from '../ActionStore.js';
import type { AckOutcome, ControlSnapshot, SignalListener } from '../ControlStore.js';
import { uuidv7 } from '../uuidv7.js';
import { actionFromRow, type ActionRow } from './actionRows.js';
import * as control from './controlOperations.js';
import { actionFilterConditions, claimFilterConditions, whereClause, type SqlCondition } from './filterSql.js';
import type { StoreHealth } from '../storeErrors.js';
import { DataDirLock } from './DataDirLock.js';
import { DiskReserve } from './DiskReserve.js';
import { DiskSpaceGuard, type DiskEvent } from './DiskSpaceGuard.js';
import { GroupCommitter } from './GroupCommitter.js';
import { CHAIN_START, chainUnchainedEvents, isChainCheck, verifyChainStep, type ChainCursor } from './historyChain.js';
import { openDatabase, WAL_FILE } from './openDatabase.js';
import { deleteMessage, dueMessages, postponeMessage } from './outboxOperations.js';
import { storeStats } from './storeStats.js';
import { SqliteTables, type StoreEffect } from './SqliteTables.js';
import { WalSync } from './WalSync.js';

// INDEXED BY: left to itself the planner takes actions_status and reads every
// RUNNING or PENDING row on each sweep, so a large backlog slows the whole server.
/** Events VerifyHistory checks between two turns of the event loop: some 10 ms of hashing on these machines. */
const VERIFY_SLICE_EVENTS = 2000;

export const EXPIRED_LEASES_SQL =
  "SELECT id FROM actions INDEXED BY actions_running_lease WHERE status = 'RUNNING' AND lease_expires_at <= ? ORDER BY lease_expires_at LIMIT ?";
export const EXPIRED_APPROVALS_SQL =
  "SELECT id FROM actions INDEXED BY actions_approval_expiry WHERE status = 'APPROVED' AND attempt = 0 AND expires_at <= ? ORDER BY expires_at LIMIT ?";
export const EXPIRED_PENDING_SQL =
  "SELECT id FROM actions INDEXED BY actions_pending_expiry WHERE status = 'PENDING' AND expires_at <= ? ORDER BY expires_at LIMIT ?";

export interface SqliteStoreOptions {
  readonly clock?: () => number;
  /** A listener that throws must not undo a commit or stop the others; it is reported here. */
  readonly onListenerError?: (err: unknown) => void;
  /**
   * An fsync failed: what is on disk is unknown, and the store refuses every
   * write and read from then on. A server should stop and be restarted.
   */
  readonly onDurabilityLost?: (err: Error) => void;
  /** Bytes of disk held back for the kill switch, released when the disk fills (0: none). */
  readonly diskReserveBytes?: number;
  /** The disk filled, recovered, or the reserve could not be made. */
  readonly onDiskEvent?: (event: DiskEvent) => void;
  /** Run SQLite's quick_check on open (default true); see openDatabase. */
  readonly quickCheck?: boolean;
}

/** The reserve's file in the data directory. */
export const DISK_RESERVE_FILE = 'disk-reserve';
const ESSENTIAL = { essential: true };
const HOUR_MS = 3600_000;

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is
 * synchronous, so every write runs inside a GroupCommitter batch and the port's
 * promises resolve once that batch's COMMIT is on disk (WalSync). Reads wait
 * for the same, so nothing a crash could undo is ever shown.
 */
export class SqliteActionStore implements ActionStore {
  private readonly committer: GroupCommitter<StoreEffect>;
  private readonly eventListeners = new Set<EventListener>();
  private readonly signalListeners = new Set<SignalListener>();
  private readonly commitListeners = new Set<CommitListener>();
  private closed = false;
  private lock: DataDirLock | null = null;

  private constructor(
    private readonly tables: SqliteTables,
    private readonly wal: WalSync,
    private readonly space: DiskSpaceGuard,
    private readonly onListenerError: (err: unknown) => void,
    onDurabilityLost: ((err: Error) => void) | undefined,
  ) {
    this.committer = new GroupCommitter(tables.db, (effects) => this.publish(effects), () => wal.sync(), {
      initiallyDurable: wal.sync(),
      onDurabilityLost,
      onDiskFull: () => space.diskFull(this.committer),
      forgetCached: () => tables.forgetCached(),
    });
  }

  /** Locks the data directory (one server per directory) and opens its database; a StartupError says why it cannot. */
  static open(dataDir: string, options: SqliteStoreOptions = {}): SqliteActionStore {
    const lock = DataDirLock.acquire(dataDir);
    let db: Database.Database | undefined;
    let wal: WalSync;
    try {
      db = openDatabase(dataDir, { quickCheck: options.quickCheck });
      chainUnchainedEvents(db);
      wal = WalSync.open(join(dataDir, WAL_FILE));
    } catch (err) {
      db?.close();
      lock.release();
      throw err;
    }
    const tables = new SqliteTables(db, options.clock ?? Date.now);
    const reserve = new DiskReserve(join(dataDir, DISK_RESERVE_FILE), options.diskReserveBytes ?? 0);
    const space = new DiskSpaceGuard(reserve, options.onDiskEvent ?? (() => {}));
    const store = new SqliteActionStore(tables, wal, space, options.onListenerError ?? (() => {}), options.onDurabilityLost);
    space.start(store.committer);
    store.lock = lock;
    return store;
  }

  create(input: NewAction, judge?: Judge): Promise<CreateResult> {
    const { tables } = this;
    return this.committer.run((effects) => {
      if (input.idempotencyKey !== '') {
        const existing = tables.statement('SELECT * FROM actions WHERE proposed_by = ? AND idempotency_key = ?')
          .get(input.proposedBy, input.idempotencyKey) as ActionRow | undefined;
        if (existing !== undefined) {
          const original = actionFromRow(existing);
          requireSameProposal(original, input);
          return { action: tables.withHistory(original), replayed: true };
        }
      }
      const now = tables.clock();
      const action = actionRecord(input, {
        id: uuidv7(now),
        createdAt: now,
        updatedAt: now,
        status: 'PENDING',
        attempt: 0,
        lease: null,
        result: null,
        error: '',
        control: 'NONE',
        pausedByHalt: false,
        controlSequence: 0,
        approvedBy: [],
        policyVerdict: null,
      });
      const judgement = judge?.(action, () => this.approvalsThisHour(action.service, now), tables.haltState()) ?? null;
      const judged = judgement === null ? action : { ...action, policyVerdict: judgement.verdict, autonomousEligible: judgement.verdict.wouldApprove };
      tables.insertAction(judged);
      const event = tables.appendEvent(judged, null, 'proposed', input.proposedBy);
      effects.push({ event });
      if (judgement?.approve != null) {
        // Approved by the policy in the same transaction as the proposal.
        const approved = tables.apply(tables.readRow(judged.id), judgement.approve, effects);
        if (approved.status === 'PENDING') tables.recordNotification({ eventSequence: event.sequence });
        return { action: tables.withHistory(approved), replayed: false };
      }
      // It waits for people: the webhooks hear of it.
      tables.recordNotification({ eventSequence: event.sequence });
      // A new action's history is the one event just written: no need to read it back.
      return { action: withHistory(judged, [event]), replayed: false };
    });
  }

  update(actionId: string, decide: Decide): Promise<ActionWithHistory> {
    return this.committer.run((effects) => this.tables.withHistory(this.tables.apply(this.tables.readRow(actionId), decide, effects)));
  }

  claimNext(filter: ClaimFilter, decide: Decide): Promise<ActionWithHistory | null> {
    return this.committer.run((effects) => {
      const where = whereClause([
        { sql: "a.status = 'APPROVED'", params: [] },
        { sql: "a.control = 'NONE'", params: [] },
        // An approval that lapsed unused is the sweep's to expire; it must not stand in front of claimable actions.
        { sql: 'NOT (a.attempt = 0 AND a.expires_at IS NOT NULL AND a.expires_at <= ?)', params: [this.tables.clock()] },
        ...claimFilterConditions(filter),
      ]);
      const row = this.tables.statement(`SELECT a.* FROM actions a ${where.sql} ORDER BY a.id LIMIT 1`).get(...where.params) as
        | ActionRow
        | undefined;
      return row === undefined ? null : this.tables.withHistory(this.tables.apply(row, decide, effects));
    });
  }

  findExpired(now: number, limit: number): Promise<ExpiredIds> {
    const ids = (sql: string): string[] => this.tables.statement(sql).pluck().all(now, limit) as string[];
    return this.read(() => ({ leases: ids(EXPIRED_LEASES_SQL), pending: ids(EXPIRED_PENDING_SQL), approvals: ids(EXPIRED_APPROVALS_SQL) }));
  }

  /** Would-approve verdicts for `service` in the hour before `now`: what the policy's rate limit counts. */
  private approvalsThisHour(service: string, now: number): number {
    return this.tables
      .statement('SELECT COUNT(*) FROM actions INDEXED BY actions_policy_approvals WHERE service = ? AND created_at > ? AND policy_would_approve = 1')
      .pluck()
      .get(service, now - HOUR_MS) as number;
  }

  getAction(actionId: string): Promise<ActionWithHistory | null> {
    return this.read(() => {
      const row = this.tables.statement('SELECT * FROM actions WHERE id = ?').get(actionId) as ActionRow | undefined;
      return row === undefined ? null : this.tables.withHistory(actionFromRow(row));
    });
  }

  listActions(filter: ActionFilter, limit: number, beforeId: string | null): Promise<Action[]> {
    return this.read(() => {
      // A status asked for twice must not list its actions twice.
      const statuses = [...new Set(filter.statuses ?? [])];
      if (statuses.length <= 1) return this.listPage(filter, limit, beforeId).map(actionFromRow);
      // One page per status, each read in order from actions_status, merged here:
      // with an IN list SQLite reads and sorts every matching row before the LIMIT.
      const rows = statuses.flatMap((status) => this.listPage({ ...filter, statuses: [status] }, limit, beforeId));
      rows.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      return rows.slice(0, limit).map(actionFromRow);
    });
  }

  private listPage(filter: ActionFilter, limit: number, beforeId: string | null): ActionRow[] {
    const conditions: SqlCondition[] = actionFilterConditions(filter, 'a.status');
    if (beforeId !== null) conditions.push({ sql: 'a.id < ?', params: [beforeId] });
    const where = whereClause(conditions);
    return this.tables.statement(`SELECT a.* FROM actions a ${where.sql} ORDER BY a.id DESC LIMIT ?`).all(...where.params, limit) as ActionRow[];
  }

  readEvents(afterSequence: number, filter: ActionFilter, limit: number): Promise<HistoryEvent[]> {
    return this.read(() =>
      this.tables.readEvents(whereClause([{ sql: 'e.sequence > ?', params: [afterSequence] }, ...actionFilterConditions(filter, 'e.to_status')]), limit),
    );
  }

  // The kill switch's writes are essential: they are still taken while the disk is full.
  control(actionId: string, move: ActionControlMove, issuedBy: string, reason: string): Promise<{ action: ActionWithHistory; signal: ControlSignal }> {
    return this.committer.run((effects) => control.controlAction(this.tables, actionId, move, issuedBy, reason, effects), ESSENTIAL);
  }

  halt(issuedBy: string, reason: string, terminateRunning: boolean): Promise<{ halt: HaltState; affected: string[] }> {
    return this.committer.run((effects) => control.halt(this.tables, issuedBy, reason, terminateRunning, effects), ESSENTIAL);
  }

  unhalt(issuedBy: string, reason: string): Promise<{ halt: HaltState; resumed: string[] }> {
    return this.committer.run((effects) => control.unhalt(this.tables, issuedBy, reason, effects), ESSENTIAL);
  }

  /** Checks the chain in slices, giving way to other calls between them: a long history must not hold up the kill switch. */
  async verifyHistory(): Promise<ChainCheck> {
    let step: ChainCheck | ChainCursor = CHAIN_START;
    while (!isChainCheck(step)) {
      const from: ChainCursor = step;
      step = await this.read((): ChainCheck | ChainCursor => verifyChainStep(this.tables.db, from, VERIFY_SLICE_EVENTS));
      if (!isChainCheck(step)) await giveWay();
    }
    return step;
  }

  readSignals(afterSequence: number, filter: ActionFilter, limit: number): Promise<ControlSignal[]> {
    return this.read(() => control.readSignals(this.tables, afterSequence, filter, limit));
  }

  stats(): Promise<StoreStats> {
    return this.read(() => storeStats(this.tables));
  }

  routeNotifications(targets: readonly string[]): void {
    this.tables.notificationTargets = [...targets];
  }

  claimOutbox(limit: number, now: number): Promise<OutboxMessage[]> {
    // One server owns the data directory and runs one notifier: reading the due rows claims them.
    return this.read(() => dueMessages(this.tables, limit, now));
  }

  markDelivered(id: number): Promise<void> {
    return this.committer.run(() => deleteMessage(this.tables, id));
  }

  markFailed(id: number, nextAttemptAt: number, error: string): Promise<void> {
    return this.committer.run(() => postponeMessage(this.tables, id, nextAttemptAt, error));
  }

  health(): StoreHealth {
    return { diskFull: this.committer.diskFull, reserveBytes: this.space.heldBytes };
  }

  haltState(): Promise<HaltState> {
    return this.read(() => this.tables.haltState());
  }

  snapshot(executorId: string): Promise<ControlSnapshot> {
    return this.read(() => control.snapshot(this.tables, executorId));
  }

  acknowledge(executorId: string, sequences: readonly number[]): Promise<AckOutcome> {
    return this.committer.run(() => control.acknowledge(this.tables, executorId, sequences), ESSENTIAL);
  }

  signalsFor(actionId: string): Promise<ControlSignal[]> {
    return this.read(() => control.signalsFor(this.tables, actionId));
  }

  acknowledgements(sequences: readonly number[]): Promise<Acknowledgement[]> {
    return this.read(() => control.acknowledgements(this.tables, sequences));
  }

  onEvents(listener: EventListener): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onSignals(listener: SignalListener): () => void {
    this.signalListeners.add(listener);
    return () => this.signalListeners.delete(listener);
  }

  /** The only writer of its database: every commit is its own. */
  onCommittedHere(listener: CommitListener): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.space.stop();
    await this.committer.close();
    await this.wal.close();
    this.eventListeners.clear();
    this.signalListeners.clear();
    this.commitListeners.clear();
    this.tables.db.close();
    this.lock?.release();
  }

  /** Runs a read now and answers once everything it could have seen is durable. */
  private async read<T>(query: () => T): Promise<T> {
    const durable = this.committer.durableSoFar();
    const value = query();
    await durable;
    return value;
  }

  private publish(effects: readonly StoreEffect[]): void {
    const events: HistoryEvent[] = [];
    const signals: ControlSignal[] = [];
    for (const effect of effects) {
      if ('event' in effect) events.push(effect.event);
      else signals.push(effect.signal);
    }
    if (events.length > 0) this.notify(this.eventListeners, events);
    if (signals.length > 0) this.notify(this.signalListeners, signals);
    this.notify(this.commitListeners, { events, signals });
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
