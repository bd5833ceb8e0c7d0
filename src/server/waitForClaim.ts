import type { ActionWithHistory, HistoryEvent } from '../domain/action.js';
import type { ActionStore } from '../store/ActionStore.js';

/**
 * Tries to claim; when nothing matches, waits for a commit that could make
 * something claimable (an action becoming APPROVED, a resume, an unhalt) and tries again, until
 * `waitMs` has passed or `signal` aborts. It listens before each attempt so an
 * approval that lands between the attempt and the wait still wakes it.
 */
export async function waitForClaim(
  store: ActionStore,
  tryClaim: () => Promise<ActionWithHistory | null>,
  waitMs: number,
  signal: AbortSignal,
  wakesClaimers: (event: HistoryEvent) => boolean = (event) => event.to === 'APPROVED',
): Promise<ActionWithHistory | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const stopEvents = store.onEvents((events) => {
      if (events.some(wakesClaimers)) wake();
    });
    // A resume or an unhalt can make an approved action claimable without a status change.
    const stopSignals = store.onSignals((signals) => {
      if (signals.some((s) => s.signal === 'RESUME' || s.signal === 'UNHALT')) wake();
    });
    const unsubscribe = (): void => {
      stopEvents();
      stopSignals();
    };
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => wake();
    try {
      const claimed = await tryClaim();
      const remaining = deadline - Date.now();
      if (claimed !== null || remaining <= 0 || signal.aborted) return claimed;
      signal.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(wake, remaining);
      await woken;
      if (signal.aborted) return null;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      unsubscribe();
    }
  }
}
