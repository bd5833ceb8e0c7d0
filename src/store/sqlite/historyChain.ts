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

const ALL_EVENTS = 'SELECT sequence, action_id, from_status, to_status, actor, reason, at, attempt, decision, hash, previous_hash FROM action_events ORDER BY sequence';

/** Chains, once, the events a database held before the chain existed; resolves with how many. */
export function chainUnchainedEvents(db: Database.Database): number {
  const first = db.prepare('SELECT COUNT(*) FROM action_events WHERE hash IS NULL').pluck().get() as number;
  if (first === 0) return 0;
  const fill = db.prepare('UPDATE action_events SET hash = ?, previous_hash = ? WHERE sequence = ? AND hash IS NULL');
  db.transaction(() => {
    let previous = GENESIS_HASH;
    for (const row of db.prepare(ALL_EVENTS).all() as ChainRow[]) {
      if (row.hash === null) {
        const hash = hashOf(row, previous);
        fill.run(hash, previous, row.sequence);
        previous = hash;
      } else {
        previous = row.hash;
      }
    }
  }).immediate();
  return first;
}

/**
 * Walks the whole history in sequence order and checks every link: each event's
 * previous_hash is the hash of the event before it, and its hash covers its
 * own fields. The first event that does not match is named. Events deleted from
 * the end are found too: SQLite remembers the highest sequence it ever gave out.
 */
export function verifyChain(db: Database.Database): ChainCheck {
  let previous = GENESIS_HASH;
  let checked = 0;
  const bad = (row: ChainRow, problem: string): ChainCheck => ({ ok: false, eventsChecked: checked, firstBadSequence: row.sequence, firstBadActionId: row.action_id, problem });
  for (const row of db.prepare(ALL_EVENTS).iterate() as IterableIterator<ChainRow>) {
    checked += 1;
    if (row.previous_hash !== previous) return bad(row, 'its previous_hash is not the hash of the event before it: an event before it was deleted, added or reordered');
    if (row.hash !== hashOf(row, previous)) return bad(row, 'its fields do not match its hash: the event was edited');
    previous = row.hash;
  }
  const issued = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'action_events'").pluck().get() as number | undefined;
  const last = db.prepare('SELECT MAX(sequence) FROM action_events').pluck().get() as number | null;
  if (issued !== undefined && issued > (last ?? 0)) {
    return { ok: false, eventsChecked: checked, firstBadSequence: (last ?? 0) + 1, firstBadActionId: '', problem: `events ${(last ?? 0) + 1} to ${issued} were written and are gone: the end of the history was deleted` };
  }
  return { ok: true, eventsChecked: checked, firstBadSequence: 0, firstBadActionId: '', problem: '' };
}
