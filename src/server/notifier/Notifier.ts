import type { Logger } from 'pino';
import type { ActionStore, OutboxMessage } from '../../store/ActionStore.js';
import { abortableWait } from '../../shared/abortableWait.js';
import { backoffDelay } from '../../shared/backoff.js';
import { PACKAGE_VERSION } from '../../shared/packageVersion.js';
import { notificationMessage } from './notificationMessage.js';
import { describeWebhook, webhookRequest, webhookTarget, type WebhookRequest } from './webhookTarget.js';

/** Messages sent at once; the rest wait for the next round. */
const BATCH = 16;
/** How long one POST may take before it counts as failed. */
export const DELIVERY_TIMEOUT_MS = 5000;
/** With nothing committed meanwhile, look for retries that came due this often. */
const IDLE_POLL_MS = 1000;

export interface NotifierOptions {
  readonly store: ActionStore;
  readonly webhooks: readonly string[];
  /** Where people reach the inbox, without a trailing slash; null leaves links out. */
  readonly publicUrl: string | null;
  readonly log: Logger;
  /** Called once per attempt. */
  readonly onAttempt?: (outcome: 'delivered' | 'failed') => void;
  readonly timeoutMs?: number;
}

/** Why a POST failed, in words that hold no part of the URL. */
function failureReason(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  return err instanceof HttpStatusError ? err.message : 'the request failed';
}

class HttpStatusError extends Error {
  override name = 'HttpStatusError';
}

/**
 * Delivers the store's notification outbox to the webhooks: each message is
 * POSTed as JSON, deleted once a webhook answers 2xx, and otherwise retried
 * with the shared backoff (1 s doubling to 32 s, with jitter) for as long as it
 * takes. The transitions that cause messages never wait for any of this; a
 * restart picks up what is left, so a message may arrive more than once but is
 * never lost.
 */
export class Notifier {
  private readonly urls: ReadonlyMap<string, { readonly request: WebhookRequest; readonly name: string }>;
  private readonly stopController = new AbortController();
  private readonly timeoutMs: number;
  private loop: Promise<void> | undefined;
  private committed = false;
  private wake = (): void => {};
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly options: NotifierOptions) {
    this.urls = new Map(options.webhooks.map((url, index) => [webhookTarget(url), { request: webhookRequest(url), name: describeWebhook(url, index) }]));
    this.timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  }

  /** The keys the store records messages under, one per webhook. */
  get targets(): string[] {
    return [...this.urls.keys()];
  }

  start(): void {
    const { store } = this.options;
    const onCommit = (): void => {
      this.committed = true;
      this.wake();
    };
    this.unsubscribe.push(store.onEvents(onCommit), store.onSignals(onCommit));
    this.loop ??= this.run();
  }

  /** Aborts posts in flight (their messages stay in the outbox) and waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopController.abort(new Error('notifier stopped'));
    for (const stop of this.unsubscribe) stop();
    await this.loop;
  }

  private async run(): Promise<void> {
    const stop = this.stopController.signal;
    while (!stop.aborted) {
      this.committed = false;
      let due: OutboxMessage[] = [];
      let failed = false;
      try {
        due = await this.options.store.claimOutbox(BATCH, Date.now());
        // Every post settles before the next claim, so none is in flight when its row is read again.
        const settled = await Promise.allSettled(due.map((message) => this.deliver(message)));
        const rejected = settled.find((s) => s.status === 'rejected');
        if (rejected !== undefined) throw rejected.reason;
      } catch (err) {
        if (stop.aborted) return;
        failed = true;
        this.options.log.error({ err }, 'reading or settling the notification outbox failed; trying again');
      }
      // After a store failure (a full disk refuses the settling writes) wait a round rather than re-post the batch at once.
      if (!failed && (due.length === BATCH || this.committed)) continue;
      await abortableWait<void>((resolve) => {
        this.wake = resolve;
        const timer = setTimeout(resolve, IDLE_POLL_MS);
        return () => {
          clearTimeout(timer);
          this.wake = () => {};
        };
      }, stop).catch(() => {});
    }
  }

  private async deliver(message: OutboxMessage): Promise<void> {
    const { store, log, publicUrl } = this.options;
    const webhook = this.urls.get(message.target);
    if (webhook === undefined) {
      log.warn({ outboxId: message.id }, 'dropping a notification for a webhook that is no longer configured');
      await store.markDelivered(message.id);
      return;
    }
    const stop = this.stopController.signal;
    try {
      const response = await fetch(webhook.request.url, {
        method: 'POST',
        headers: { ...webhook.request.headers, 'content-type': 'application/json', 'user-agent': `actiongate/${PACKAGE_VERSION}` },
        body: JSON.stringify(notificationMessage(message.subject, publicUrl)),
        // A redirect is not followed: a 307 would POST the message, and the
        // credentials of the URL, wherever the receiver points; it counts as a failure.
        redirect: 'manual',
        signal: AbortSignal.any([stop, AbortSignal.timeout(this.timeoutMs)]),
      });
      // Only the status matters: a body, however large or slow, is not read.
      await response.body?.cancel();
      if (response.status >= 300 && response.status < 400) throw new HttpStatusError(`HTTP ${response.status}: redirects are not followed; configure the URL it redirects to`);
      if (!response.ok) throw new HttpStatusError(`HTTP ${response.status}`);
    } catch (err) {
      // Stopping mid-post: the message stays as it was, for the next start.
      if (stop.aborted) return;
      const reason = failureReason(err, this.timeoutMs);
      const delayMs = backoffDelay(message.attempts);
      this.options.onAttempt?.('failed');
      log.warn({ webhook: webhook.name, outboxId: message.id, attempt: message.attempts + 1, reason, retryInMs: delayMs }, 'webhook delivery failed; it will be retried');
      await store.markFailed(message.id, Date.now() + delayMs, reason);
      return;
    }
    this.options.onAttempt?.('delivered');
    await store.markDelivered(message.id);
    log.debug({ webhook: webhook.name, outboxId: message.id, attempts: message.attempts + 1 }, 'notification delivered');
  }
}
