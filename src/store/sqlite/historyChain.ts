import type Database from 'better-sqlite3';
import type { HistoryEvent } from '../../domain/action.js';
import { chainInput, GENESIS_HASH } from '../../domain/historyChain.js';
import { sha256Hex } from '../../shared/sha256Hex.js';
import type { ChainCheck } from '../ActionStore.js';
import type { EventRow } from './actionRows.js';

/** An event row as the chain reads it: without the action's columns the JOIN adds. */
type ChainRow = Omit<EventRow, 'action_type' | 'node' | 'service'>;

function hashOf(row: ChainRow, previousHash: string): string {
  return sha256Hex(
    chainInput(
      {
        sequence: row.sequence,
        actionId: row.action_id,
        from: row.from_status as HistoryEvent['from'],
        to: row.to_status as HistoryEvent['to'],
        actor: row.actor,
        reason: row.reason,
        at: row.at,
        attempt: row.attempt,
        decision: row.decision as HistoryEvent['decision'],
      },
      previousHash,
    ),
  );
}

const COLUMNS = 'sequence, action_id, from_status, to_status, actor, reason, at, attempt, decision, hash, previous_hash';
const ALL_EVENTS = `SELECT ${COLUMNS} FROM action_events ORDER BY sequence`;
const EVENTS_AFTER = `SELECT ${COLUMNS} FROM action_events WHERE sequence > ? ORDER BY sequence LIMIT ?`;

/**
 * Chains, once, the events a database held before the chain existed; resolves with how many.
 * Only a history with no chained event at all is such a database: from the first
 * start of this version on, every event is chained as it is written, so an
 * unchained event after that was cleared behind the server's back, and is left
 * for verify to name rather than laundered into the chain.
 */
export function chainUnchainedEvents(db: Database.Database): number {
  const unchained = db.prepare('SELECT COUNT(*) FROM action_events WHERE hash IS NULL').pluck().get() as number;
  if (unchained === 0) return 0;
  const chained = db.prepare('SELECT COUNT(*) FROM action_events WHERE hash IS NOT NULL').pluck().get() as number;
  if (chained > 0) return 0;
  const fill = db.prepare('UPDATE action_events SET hash = ?, previous_hash = ? WHERE sequence = ? AND hash IS NULL');
  db.transaction(() => {
    let previous = GENESIS_HASH;
    for (const row of db.prepare(ALL_EVENTS).all() as ChainRow[]) {
      const hash = hashOf(row, previous);
      fill.run(hash, previous, row.sequence);
      previous = hash;
    }
  }).immediate();
  return unchained;
}

function missing(first: number, last: number): string {
  return first === last ? `the event before it, ${first}, is missing` : `the events before it, ${first} to ${last}, are missing`;
}

/** How far a check of the chain has got: the last event it accepted. */
export interface ChainCursor {
  readonly previousHash: string;
  readonly previousSequence: number;
  readonly checked: number;
}

export const CHAIN_START: ChainCursor = { previousHash: GENESIS_HASH, previousSequence: 0, checked: 0 };

export function isChainCheck(step: ChainCheck | ChainCursor): step is ChainCheck {
  return 'ok' in step;
}

/**
 * Checks up to `limit` events after `cursor`, every link: each event's
 * previous_hash is the hash of the event before it, and its hash covers its
 * own fields. Answers the verdict once the history is done or an event does not
 * match, and otherwise where to go on from, so a live server can check a long
 * history in slices without holding its event loop. Events deleted from the end
 * are found too: SQLite remembers the highest sequence it ever gave out.
 */
export function verifyChainStep(db: Database.Database, cursor: ChainCursor, limit: number): ChainCheck | ChainCursor {
  let { previousHash: previous, previousSequence, checked } = cursor;
  const bad = (row: ChainRow, problem: string): ChainCheck => ({ ok: false, eventsChecked: checked, firstBadSequence: row.sequence, firstBadActionId: row.action_id, problem });
  let read = 0;
  for (const row of db.prepare(EVENTS_AFTER).iterate(previousSequence, limit) as IterableIterator<ChainRow>) {
    read += 1;
    checked += 1;
    // Sequences are never skipped (a rolled-back insert takes its number back) nor reused, so a gap is a deleted event,
    // even when the event after it was written later on top of the shortened chain.
    if (row.sequence > previousSequence + 1) return bad(row, `${missing(previousSequence + 1, row.sequence - 1)}: deleted from the history`);
    if (row.previous_hash !== previous) return bad(row, 'its previous_hash is not the hash of the event before it: an event before it was deleted, added or reordered');
    if (row.hash !== hashOf(row, previous)) return bad(row, 'its fields do not match its hash: the event was edited');
    previous = row.hash;
    previousSequence = row.sequence;
  }
  if (read === limit) return { previousHash: previous, previousSequence, checked };
  const issued = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'action_events'").pluck().get() as number | undefined;
  if (issued !== undefined && issued > previousSequence) {
    const first = previousSequence + 1;
    const gone = first === issued ? `event ${first} was written and is gone` : `events ${first} to ${issued} were written and are gone`;
    return { ok: false, eventsChecked: checked, firstBadSequence: first, firstBadActionId: '', problem: `${gone}: the end of the history was deleted` };
  }
  return { ok: true, eventsChecked: checked, firstBadSequence: 0, firstBadActionId: '', problem: '' };
}

/**
 * The whole history's chain, checked in one go (offline, by `actiongate verify`),
 * in one read transaction: a server still writing to the file could otherwise
 * append events between two reads and look like an end that was deleted.
 */
export function verifyChain(db: Database.Database): ChainCheck {
  return db.transaction(() => {
    let step: ChainCheck | ChainCursor = CHAIN_START;
    while (!isChainCheck(step)) step = verifyChainStep(db, step, 10_000);
    return step;
  })();
}
