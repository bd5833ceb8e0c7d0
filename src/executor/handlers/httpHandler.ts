import { filter, take } from 'rxjs';
import type { ActionHandler } from '../ActionHandler.js';
import { actionJson } from '../actionJson.js';
import { HandlerError } from '../HandlerError.js';
import type { HttpSpec } from '../HandlerSpec.js';
import { BoundedText } from './BoundedText.js';

export const RESPONSE_LIMIT_BYTES = 16 * 1024;
const ERROR_BODY_CHARS = 500;
/** Request Timeout and Too Many Requests say "later", not "never". */
const RETRYABLE_CLIENT_STATUSES: ReadonlySet<number> = new Set([408, 429]);

async function readBounded(response: Response): Promise<BoundedText> {
  const body = new BoundedText(RESPONSE_LIMIT_BYTES);
  if (response.body === null) return body;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      body.push(value);
      if (body.full) {
        body.truncated = true;
        break;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return body;
}

function bodyValue(text: string, contentType: string | null): unknown {
  if (contentType === null || !/[/+]json\b/i.test(contentType)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Calls a configured endpoint with the action as a JSON body. 2xx completes
 * the action with the response body; 5xx, a timeout or a network error fail it
 * retryably (as do 408 and 429); any other status fails it for good. A terminate aborts the request.
 * No request starts while the action is paused (the checkpoint before it waits); a request
 * already in flight when a pause comes is not interrupted, and its outcome is reported.
 * Only the URL's origin and path are logged: query strings and headers may carry credentials.
 */
export function httpHandler(spec: HttpSpec): ActionHandler {
  const url = new URL(spec.url);
  const where = `${url.origin}${url.pathname}`;
  return async ({ action, signal, checkpoint, state$, log }) => {
    await checkpoint();
    const timeout = AbortSignal.timeout(spec.timeoutSeconds * 1000);
    const started = Date.now();
    log.info({ method: spec.method, url: where }, 'http request');
    // A request cannot be held half-sent: say so rather than seem to ignore the pause.
    const pausedInFlight = state$?.pipe(filter((state) => state === 'PAUSED'), take(1)).subscribe(() => {
      log.info({ method: spec.method, url: where }, 'paused with a request in flight: the request completes and its outcome is reported');
    });
    let response: Response;
    let body: BoundedText;
    try {
      response = await fetch(spec.url, {
        method: spec.method,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/plain;q=0.9, */*;q=0.1', ...spec.headers },
        body: actionJson(action),
        redirect: 'manual',
        signal: AbortSignal.any([signal, timeout]),
      });
      body = await readBounded(response);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (timeout.aborted) throw new HandlerError(`${spec.method} ${where} timed out after ${spec.timeoutSeconds} s`, true, { cause: err });
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
      throw new HandlerError(`${spec.method} ${where} failed: ${cause}`, true, { cause: err });
    } finally {
      pausedInFlight?.unsubscribe();
    }
    const durationMs = Date.now() - started;
    log.info({ method: spec.method, url: where, status: response.status, durationMs }, 'http response');
    if (response.status >= 200 && response.status < 300) {
      return { status: response.status, durationMs, body: bodyValue(body.text(), response.headers.get('content-type')), bodyTruncated: body.truncated };
    }
    const tail = body.tail(ERROR_BODY_CHARS);
    const message = `${spec.method} ${where} answered ${response.status}${tail === '' ? '' : `: ${tail}`}`;
    throw new HandlerError(message, response.status >= 500 || RETRYABLE_CLIENT_STATUSES.has(response.status));
  };
}
