import type { ServerResponse } from 'node:http';
import type { Principal } from '../../domain/roles.js';
import { LazyCallContext, type DisposableCallContext } from '../callContext.js';

/**
 * The context of one HTTP request: its signal aborts when the client goes away
 * before the answer, or the server shuts down.
 */
export function httpCallContext(response: ServerResponse, principal: Principal, shutdown: AbortSignal): DisposableCallContext {
  let left: (() => void) | null = null;
  // 'close' comes after a complete answer too: only one before it means the client left.
  const onClose = (): void => {
    if (!response.writableFinished) left?.();
  };
  return new LazyCallContext(
    {
      gone: () => response.destroyed,
      onGone: (listener) => {
        left = listener;
        response.once('close', onClose);
      },
      offGone: () => response.off('close', onClose),
    },
    principal,
    shutdown,
  );
}
