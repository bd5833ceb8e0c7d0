import type { NotificationSubject, OutboxMessage } from '../ActionStore.js';
import { actionFromRow, signalFromRow, type SignalRow } from './actionRows.js';
import type { SqliteTables } from './SqliteTables.js';

/* The notification outbox: rows written with the transitions that cause them, read and settled by the notifier. */

interface OutboxRow {
  id: number;
  target: string;
  created_at: number;
  event_sequence: number | null;
  signal_sequence: number | null;
  attempts: number;
}

function subjectOf(tables: SqliteTables, row: OutboxRow): NotificationSubject | null {
  if (row.signal_sequence !== null) {
    const signal = tables.statement('SELECT * FROM control_signals WHERE sequence = ?').get(row.signal_sequence) as SignalRow | undefined;
    return signal === undefined ? null : { signal: signalFromRow(signal) };
  }
  const [event] = tables.readEvents({ sql: 'WHERE e.sequence = ?', params: [row.event_sequence] }, 1);
  if (event === undefined) return null;
  return { event, action: tables.withHistory(actionFromRow(tables.readRow(event.actionId))) };
}

/** Messages due at `now`, earliest due first, each with what it announces as stored now. */
export function dueMessages(tables: SqliteTables, limit: number, now: number): OutboxMessage[] {
  const rows = tables
    .statement('SELECT id, target, created_at, event_sequence, signal_sequence, attempts FROM notification_outbox WHERE next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?')
    .all(now, limit) as OutboxRow[];
  const messages: OutboxMessage[] = [];
  for (const row of rows) {
    // The references are foreign keys into append-only tables, so a subject is always found.
    const subject = subjectOf(tables, row);
    if (subject !== null) messages.push({ id: row.id, target: row.target, attempts: row.attempts, createdAt: row.created_at, subject });
  }
  return messages;
}

export function deleteMessage(tables: SqliteTables, id: number): void {
  tables.statement('DELETE FROM notification_outbox WHERE id = ?').run(id);
}

export function postponeMessage(tables: SqliteTables, id: number, nextAttemptAt: number, error: string): void {
  tables
    .statement('UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?')
    .run(nextAttemptAt, error.slice(0, 1024), id);
}
