import { randomUUID } from 'node:crypto';
import type { ActionWithHistory } from '../../src/domain/action.js';
import * as lifecycle from '../../src/domain/lifecycle.js';
import type { ActionStore, Decide } from '../../src/store/ActionStore.js';
import { newAction } from './backends.js';

/* The domain steps the server hands to the store, as small helpers for the contract tests. */

export const approveBy = (actor: string, approvalTtlMs = 60_000): Decide => (a, now, halt) =>
  lifecycle.approve(a, { actor, identified: true }, 'looks right', halt, now, approvalTtlMs);

export const claimAs = (executorId: string, ttlMs = 30_000, leaseId: string = randomUUID()): Decide => (a, now, halt) =>
  lifecycle.claim(a, { actor: executorId, executorId, leaseId, ttlMs }, now, halt);

export const completeWith = (leaseId: string): Decide => (a, now) => lifecycle.complete(a, leaseId, { ok: true }, now, 'executor');

export async function approved(store: ActionStore, overrides: Parameters<typeof newAction>[0] = {}): Promise<ActionWithHistory> {
  const { action } = await store.create(newAction(overrides));
  return store.update(action.id, approveBy('approver-1'));
}

/** An action RUNNING under a lease of `executorId`. */
export async function running(store: ActionStore, executorId: string, ttlMs = 30_000): Promise<ActionWithHistory & { leaseId: string }> {
  const action = await approved(store);
  const leaseId = randomUUID();
  const claimed = await store.update(action.id, claimAs(executorId, ttlMs, leaseId));
  return { ...claimed, leaseId };
}
