import type { Observable } from 'rxjs';
import { abortableWait } from './abortableWait.js';

/**
 * Resolves with the first value of `source$` (the current one included, for a
 * BehaviorSubject) that `accept` takes; rejects with the signal's reason on
 * abort, or when the stream errors or ends first.
 */
export function waitForValue<T>(source$: Observable<T>, accept: (value: T) => boolean, signal?: AbortSignal): Promise<T> {
  return abortableWait<T>((resolve, reject) => {
    const subscription = source$.subscribe({
      next: (value) => {
        if (accept(value)) resolve(value);
      },
      error: reject,
      complete: () => reject(new Error('the stream ended before the awaited value')),
    });
    return () => subscription.unsubscribe();
  }, signal);
}
