import type { HistoryEvent } from '../../../domain/action.js';
import { chainInput, GENESIS_HASH } from '../../../domain/historyChain.js';
import { sha256Hex } from '../../../shared/sha256Hex.js';
import type { ChainCheck } from '../../ActionStore.js';
import type { EventRow } from '../pgRows.js';
import { statement, type Queryable } from './Statement.js';

const PAGE = 1000;
const EVENTS_PAGE = statement(
  'chain_page',
  `SELECT sequence, action_id, from_status, to_status, actor, reason, at, attempt, decision, hash, previous_hash
   FROM action_events WHERE sequence > $1 ORDER BY sequence LIMIT $2`,
);
const HEAD = statement('chain_head', 'SELECT sequence, hash FROM history_head WHERE id = 1');

type ChainRow = Omit<EventRow, 'action_type' | 'node' | 'service'>;

function hashOf(row: ChainRow, previousHash: string): string {
  return sha256Hex(chainInput({
    sequence: row.sequence, actionId: row.action_id, from: row.from_status as HistoryEvent['from'], to: row.to_status as HistoryEvent['to'],
    actor: row.actor, reason: row.reason, at: row.at, attempt: row.attempt, decision: row.decision as HistoryEvent['decision'],
  }, previousHash));
}

/**
 * Walks the history in sequence order, a page at a time, checking every link; then
 * that the head every writer chains from is the last event, so events deleted from
 * the end are found too. Run it in one REPEATABLE READ transaction for a stable view.
 */
export async function verifyChain(q: Queryable): Promise<ChainCheck> {
  let previous = GENESIS_HASH;
  let after = 0;
  let checked = 0;
  for (;;) {
    const rows = await q.run<ChainRow>(EVENTS_PAGE, [after, PAGE]);
    for (const row of rows) {
      checked += 1;
      const bad = (problem: string): ChainCheck => ({ ok: false, eventsChecked: checked, firstBadSequence: row.sequence, firstBadActionId: row.action_id, problem });
      if (row.previous_hash !== previous) return bad('its previous_hash is not the hash of the event before it: an event before it was deleted, added or reordered');
      if (row.hash !== hashOf(row, previous)) return bad('its fields do not match its hash: the event was edited');
      previous = row.hash;
      after = row.sequence;
    }
    if (rows.length < PAGE) break;
  }
  const [head] = await q.run<{ sequence: number; hash: string }>(HEAD, []);
  if (head !== undefined && head.sequence > after) {
    return {
      ok: false, eventsChecked: checked, firstBadSequence: after + 1, firstBadActionId: '',
      problem: `events ${after + 1} to ${head.sequence} were written and are gone: the end of the history was deleted`,
    };
  }
  return { ok: true, eventsChecked: checked, firstBadSequence: 0, firstBadActionId: '', problem: '' };
}
