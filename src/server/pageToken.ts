import { ValidationError } from '../domain/errors.js';
import { isUuid } from '../domain/validation.js';

/** Page tokens are opaque to clients: the last action id of the page, base64url-encoded. */
export function encodePageToken(lastActionId: string): string {
  return Buffer.from(`v1:${lastActionId}`, 'utf8').toString('base64url');
}

export function decodePageToken(token: string): string {
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  const id = decoded.startsWith('v1:') ? decoded.slice(3) : '';
  if (!isUuid(id)) throw new ValidationError('page_token', 'is not a token this server issued; pass next_page_token unchanged');
  return id.toLowerCase();
}
