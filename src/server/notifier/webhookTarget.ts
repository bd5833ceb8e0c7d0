import { sha256Hex } from '../../shared/sha256Hex.js';

/**
 * The key an outbox message names its webhook by. Webhook URLs often carry
 * their secret in the path or query, so the database and the logs never hold
 * one: the store keeps this hash, and the logs the webhook's position and origin.
 */
export function webhookTarget(url: string): string {
  return sha256Hex(url).slice(0, 32);
}

/** How logs name a webhook: "webhook 2 (https://hooks.example.com)", never its path or query. */
export function describeWebhook(url: string, index: number): string {
  return `webhook ${index + 1} (${new URL(url).origin})`;
}
