import type { Observable } from 'rxjs';

/**
 * Resolves with the first value of `source$` (current one included, for a
 * BehaviorSubject) that satisfies `accept`; rejects with the signal's reason on abort.
 */
export function waitForValue<T>(source$: Observable<T>, accept: (value: T) => boolean, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => finish(() => reject(signal?.reason));
    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      queueMicrotask(() => subscription.unsubscribe());
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const subscription = source$.subscribe({
      next: (value) => {
        if (accept(value)) finish(() => resolve(value));
      },
      error: (err: unknown) => finish(() => reject(err)),
      complete: () => finish(() => reject(new Error('the stream ended before the awaited value'))),
    });
  });
}
