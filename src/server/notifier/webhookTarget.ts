import { sha256Hex } from '../../shared/sha256Hex.js';

/**
 * The key an outbox message names its webhook by. Webhook URLs often carry
 * their secret in the path or query, so the database and the logs never hold
 * one: the store keeps this hash, and the logs the webhook's position and origin.
 */
export function webhookTarget(url: string): string {
  return sha256Hex(url).slice(0, 32);
}

/** How logs name a webhook: "webhook 2 (https://hooks.example.com)", never its credentials, path or query. */
export function describeWebhook(url: string, index: number): string {
  return `webhook ${index + 1} (${new URL(url).origin})`;
}

/** Where a webhook is POSTed, and the headers its URL implies. */
export interface WebhookRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * `https://user:secret@host/path` as fetch can send it: fetch refuses a URL
 * with credentials, so they travel as HTTP Basic authorization (what curl and
 * browsers do with them) and the URL goes without.
 */
export function webhookRequest(url: string): WebhookRequest {
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return { url, headers: {} };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.href, headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` } };
}
