import type { HistoryEvent } from './action.js';

/** The previous_hash of the first event of a history. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The bytes an event's hash covers, in a fixed order and form: every field
 * the history records about the event, and the hash of the event before it, so
 * that editing, reordering or deleting any event breaks every later hash.
 * (The action's type, node and service are copies from the action, not part of
 * the event, and are left out.)
 */
export function chainInput(event: Omit<HistoryEvent, 'hash' | 'previousHash' | 'actionType' | 'node' | 'service'>, previousHash: string): string {
  return JSON.stringify([
    previousHash,
    event.sequence,
    event.actionId,
    event.from,
    event.to,
    event.actor,
    event.reason,
    event.at,
    event.attempt,
    event.decision,
  ]);
}
