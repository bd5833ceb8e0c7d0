import type { ActionWithHistory, HistoryEvent } from '../domain/action.js';
import type { ControlSignal } from '../domain/controlSignal.js';
import { abortableWait } from '../shared/abortableWait.js';
import type { ActionStore } from '../store/ActionStore.js';

const wakesClaimers = (event: HistoryEvent): boolean => event.to === 'APPROVED';
// A resume or an unhalt can make an approved action claimable without a status change.
const signalWakesClaimers = (signal: ControlSignal): boolean => signal.signal === 'RESUME' || signal.signal === 'UNHALT';

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
): Promise<ActionWithHistory | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let woken = false;
    let wake = (): void => void (woken = true);
    const stopEvents = store.onEvents((events) => events.some(wakesClaimers) && wake());
    const stopSignals = store.onSignals((signals) => signals.some(signalWakesClaimers) && wake());
    try {
      const claimed = await tryClaim();
      const remaining = deadline - Date.now();
      if (claimed !== null || remaining <= 0 || signal.aborted) return claimed;
      if (woken) continue;
      await abortableWait<void>((resolve) => {
        wake = resolve;
        const timer = setTimeout(resolve, remaining);
        return () => clearTimeout(timer);
      }, signal);
    } catch (err) {
      if (signal.aborted) return null;
      throw err;
    } finally {
      stopEvents();
      stopSignals();
    }
  }
}
