import { status, type ServiceError } from '@grpc/grpc-js';
import type { ExecutorLog } from './ExecutorLog.js';
import { backoffDelay } from '../client/backoff.js';
import { sleep } from '../shared/abortableWait.js';

/** Statuses after which the report may not have reached the server; the lease fences a repeat. */
const RETRYABLE_REPORT: ReadonlySet<status> = new Set([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]);
const REPORT_ATTEMPTS = 5;
const REPORT_TIMEOUT_MS = 10_000;

/**
 * Sends a Complete or Fail, retrying while the server cannot be reached.
 * Resolves with the reply, or null when the server refused it (the lease no
 * longer holds: terminated, expired, reclaimed) or could not be reached at all.
 */
export async function reportOutcome<T>(what: string, send: (options: { timeoutMs: number }) => Promise<T>, log: ExecutorLog): Promise<T | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send({ timeoutMs: REPORT_TIMEOUT_MS });
    } catch (err) {
      const { code, details } = err as Partial<ServiceError>;
      const name = code === undefined ? 'unknown' : status[code];
      if (code === undefined || !RETRYABLE_REPORT.has(code) || attempt + 1 >= REPORT_ATTEMPTS) {
        log.warn({ code: name, reason: details ?? String(err) }, `${what} refused or undeliverable`);
        return null;
      }
      const delay = backoffDelay(attempt);
      log.warn({ code: name, reason: details, retryInMs: delay }, `${what} did not reach the server; retrying`);
      await sleep(delay);
    }
  }
}
