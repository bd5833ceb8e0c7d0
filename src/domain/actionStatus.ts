/** Where an action is in its lifecycle. */
export type ActionStatus =
  | 'PENDING'
  | 'APPROVED'
  | 'RUNNING'
  | 'COMPLETED'
  | 'FAILED'
  | 'REJECTED'
  | 'TERMINATED'
  | 'EXPIRED';

export const ACTION_STATUSES: readonly ActionStatus[] = [
  'PENDING',
  'APPROVED',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'REJECTED',
  'TERMINATED',
  'EXPIRED',
];

export const TERMINAL_STATUSES: ReadonlySet<ActionStatus> = new Set([
  'COMPLETED',
  'FAILED',
  'REJECTED',
  'TERMINATED',
  'EXPIRED',
]);

export function isTerminal(status: ActionStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}
