import type { HistoryEvent } from '../domain/action.js';
import { eventMatches, type ActionFilter, type ActionStore } from '../store/ActionStore.js';
import { abortableWait } from '../shared/abortableWait.js';

const REPLAY_PAGE = 500;
/** Live events held for one watcher that is not reading; past this it is cut off and must resume. */
export const WATCH_BUFFER_LIMIT = 10_000;

/** The watcher read too slowly: more than WATCH_BUFFER_LIMIT live events waited for it. */
export class FellBehindError extends Error {
  override name = 'FellBehindError';
  constructor(
    /** The last sequence the watcher was given: resume after it. */
    readonly lastSequence: number,
  ) {
    super(`watcher fell behind by more than ${WATCH_BUFFER_LIMIT} events after sequence ${lastSequence}`);
  }
}

/**
 * History events matching `filter`: those after `afterSequence` from the store,
 * then live commits, until `signal` aborts. It listens before replaying and
 * drops live events the replay already gave, so nothing falls in the gap
 * between the two. With `afterSequence` null there is no replay: live events
 * only. The consumer's pace is the feed's pace (it awaits each write before
 * taking the next); live events queue meanwhile, up to WATCH_BUFFER_LIMIT.
 * Past that nothing more is queued and `onFellBehind` is called at once: a
 * consumer stuck waiting on a reader that never reads would otherwise hold
 * every later commit in memory, and learn of it only once the reader moved.
 */
export async function* historyFeed(
  store: ActionStore,
  filter: ActionFilter,
  afterSequence: number | null,
  signal: AbortSignal,
  onFellBehind: () => void = () => {},
): AsyncGenerator<HistoryEvent, void, undefined> {
  let after = afterSequence ?? 0;
  let live: HistoryEvent[] = [];
  let overflowed = false;
  let wake = (): void => {};
  const unsubscribe = store.onEvents((events) => {
    if (overflowed) return;
    for (const event of events) if (eventMatches(event, filter)) live.push(event);
    if (live.length > WATCH_BUFFER_LIMIT) {
      overflowed = true;
      live = [];
      onFellBehind();
    }
    wake();
  });
  try {
    if (afterSequence !== null) {
      for (;;) {
        const page = await store.readEvents(after, filter, REPLAY_PAGE);
        for (const event of page) {
          if (signal.aborted) return;
          yield event;
          after = event.sequence;
        }
        if (page.length < REPLAY_PAGE) break;
      }
    }
    while (!signal.aborted) {
      if (overflowed) throw new FellBehindError(after);
      if (live.length === 0) {
        const woken = await abortableWait<boolean>((resolve) => {
          wake = () => resolve(true);
          return () => (wake = () => {});
        }, signal).catch(() => false);
        if (!woken) return;
        continue;
      }
      const batch = live;
      live = [];
      for (const event of batch) {
        if (event.sequence <= after) continue;
        if (signal.aborted) return;
        yield event;
        after = event.sequence;
      }
    }
  } finally {
    unsubscribe();
  }
}
