/** Called with the wait's settle functions; returns what undoes its listeners and timers. */
export type WaitSetup<T> = (resolve: (value: T) => void, reject: (reason: unknown) => void) => () => void;

/**
 * The one way this code base waits on something that can be cancelled: a
 * promise settled by `setup`, or rejected with the signal's reason as soon as
 * `signal` aborts. Whichever comes first, `setup`'s cleanup runs exactly once.
 */
export function abortableWait<T>(setup: WaitSetup<T>, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let cleanup: (() => void) | undefined;
    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      cleanup?.();
      settle();
    };
    const onAbort = (): void => finish(() => reject(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    cleanup = setup(
      (value) => finish(() => resolve(value)),
      (reason) => finish(() => reject(reason)),
    );
    // setup may have settled synchronously, before its cleanup was known.
    if (settled) cleanup();
  });
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return abortableWait((resolve) => {
    const timer = setTimeout(resolve, ms);
    return () => clearTimeout(timer);
  }, signal);
}
