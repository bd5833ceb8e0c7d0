import type { OutboxMessage } from '../ActionStore.js';
import { claimDue, deleteMessage, postponeMessage, releaseClaims } from './sql/outboxSql.js';
import { outboxMessages } from './sql/outboxSubjects.js';
import type { Queryable } from './sql/Statement.js';

/**
 * How long a claimed notification is held by the replica that claimed it: well past the
 * notifier's delivery timeout (5 s), so no other replica posts it meanwhile, and the wait
 * before another replica takes over from one that died mid-delivery.
 */
export const OUTBOX_CLAIM_MS = 60_000;

/**
 * One replica's side of the shared notification outbox. Claims take due messages with
 * FOR UPDATE SKIP LOCKED and hold them for OUTBOX_CLAIM_MS, so replicas sharing the
 * database deliver each message one at a time; at least once, since a replica that
 * dies mid-delivery leaves its claims to lapse. Each call is one statement in its own
 * transaction: nothing else commits with it.
 */
export class PgOutbox {
  /** Messages claimed here and not settled, by id, with the time each is held until. */
  private readonly claims = new Map<number, number>();

  constructor(private readonly q: Queryable) {}

  async claim(limit: number, now: number): Promise<OutboxMessage[]> {
    const heldUntil = now + OUTBOX_CLAIM_MS;
    const rows = await claimDue(this.q, now, limit, heldUntil);
    for (const row of rows) this.claims.set(row.id, heldUntil);
    return rows.length === 0 ? [] : outboxMessages(this.q, rows);
  }

  async delivered(id: number): Promise<void> {
    await deleteMessage(this.q, id);
    this.claims.delete(id);
  }

  async failed(id: number, nextAttemptAt: number, error: string): Promise<void> {
    await postponeMessage(this.q, id, nextAttemptAt, error);
    this.claims.delete(id);
  }

  /** A notifier stopped mid-post leaves its messages claimed: due again at `now`, not when the claims lapse. */
  async release(now: number): Promise<void> {
    const claims = new Map(this.claims);
    this.claims.clear();
    await releaseClaims(this.q, claims, now);
  }
}
