import { withHistory, type ActionWithHistory } from '../../../domain/action.js';
import type { NotificationSubject, OutboxMessage } from '../../ActionStore.js';
import { actionFromRow, eventFromRow, signalFromRow, type EventRow, type SignalRow } from '../pgRows.js';
import { readAction } from './actionReads.js';
import type { OutboxRow } from './outboxSql.js';
import { statement, type Queryable } from './Statement.js';

const EVENTS_BY_SEQUENCE = statement(
  'events_by_sequence',
  'SELECT e.*, a.action_type, a.node, a.service FROM action_events e JOIN actions a ON a.id = e.action_id WHERE e.sequence = ANY($1::bigint[])',
);
const SIGNALS_BY_SEQUENCE = statement('signals_by_sequence', 'SELECT * FROM control_signals WHERE sequence = ANY($1::bigint[])');

/** The claimed rows as messages, each with what it announces as stored now, in the rows' order. */
export async function outboxMessages(q: Queryable, rows: readonly OutboxRow[]): Promise<OutboxMessage[]> {
  const eventSequences = rows.flatMap((r) => (r.event_sequence === null ? [] : [r.event_sequence]));
  const signalSequences = rows.flatMap((r) => (r.signal_sequence === null ? [] : [r.signal_sequence]));
  const events = new Map(
    (eventSequences.length === 0 ? [] : await q.run<EventRow>(EVENTS_BY_SEQUENCE, [eventSequences])).map((row) => [row.sequence, eventFromRow(row)]),
  );
  const signals = new Map(
    (signalSequences.length === 0 ? [] : await q.run<SignalRow>(SIGNALS_BY_SEQUENCE, [signalSequences])).map((row) => [row.sequence, signalFromRow(row)]),
  );
  const actions = new Map<string, ActionWithHistory>();
  const messages: OutboxMessage[] = [];
  for (const row of rows) {
    let subject: NotificationSubject | undefined;
    if (row.signal_sequence !== null) {
      const signal = signals.get(row.signal_sequence);
      if (signal !== undefined) subject = { signal };
    } else {
      const event = row.event_sequence === null ? undefined : events.get(row.event_sequence);
      if (event !== undefined) {
        let action = actions.get(event.actionId);
        if (action === undefined) {
          const stored = await readAction(q, event.actionId);
          if (stored !== null) {
            action = withHistory(actionFromRow(stored), stored.events.map(eventFromRow));
            actions.set(event.actionId, action);
          }
        }
        if (action !== undefined) subject = { event, action };
      }
    }
    // The references are foreign keys into append-only tables, so a subject is always found.
    if (subject !== undefined) messages.push({ id: row.id, target: row.target, attempts: row.attempts, createdAt: row.created_at, subject });
  }
  return messages;
}
