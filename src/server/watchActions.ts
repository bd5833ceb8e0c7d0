import { status, type handleServerStreamingCall } from '@grpc/grpc-js';
import type { HistoryEvent } from '../domain/action.js';
import { limitText } from '../domain/validation.js';
import type { WatchActionsRequest, WatchActionsResponse } from '../gen/actiongate/v1/action_service.js';
import { eventMatches, type ActionFilter, type ActionStore } from '../store/ActionStore.js';
import type { Logger } from 'pino';
import { ServerError, toServiceError } from './errorMapper.js';
import type { OpenStream, OpenStreams } from './OpenStreams.js';
import { eventToProto, statusesFromProto } from './protoMapping.js';
import { parseSequence } from './sequences.js';
import { abortableWait } from '../shared/abortableWait.js';
import { writeWithBackpressure } from './streamWriter.js';

const REPLAY_PAGE = 500;
/** Live events held for one watcher that is not reading; past this it is cut off and must resume. */
export const WATCH_BUFFER_LIMIT = 10_000;

/**
 * Replays history after `after_sequence`, then follows live commits. It listens
 * before replaying and drops live events the replay already sent, so nothing
 * falls in the gap between the two.
 */
export interface WatchDeps {
  readonly store: ActionStore;
  readonly log: Logger;
  readonly streams: OpenStreams;
}

export function watchActionsHandler(deps: WatchDeps): handleServerStreamingCall<WatchActionsRequest, WatchActionsResponse> {
  const { store, log, streams } = deps;
  return (call) => {
    let stream: OpenStream;
    try {
      stream = streams.open(call, 'WatchActions');
    } catch (err) {
      call.emit('error', toServiceError(err, log, 'WatchActions'));
      return;
    }
    const signal = stream.context.signal;
    let unsubscribe = (): void => {};
    const run = async (): Promise<void> => {
      const req = call.request;
      let after = parseSequence('after_sequence', req.afterSequence);
      const filter: ActionFilter = {
        statuses: statusesFromProto('statuses', req.statuses),
        node: limitText('node', req.node),
        service: limitText('service', req.service),
        actionType: limitText('action_type', req.actionType),
      };
      let live: HistoryEvent[] = [];
      let overflowed = false;
      let wake = (): void => {};
      unsubscribe = store.onEvents((events) => {
        for (const event of events) if (eventMatches(event, filter)) live.push(event);
        if (live.length > WATCH_BUFFER_LIMIT) overflowed = true;
        wake();
      });
      for (;;) {
        const page = await store.readEvents(after, filter, REPLAY_PAGE);
        for (const event of page) {
          if (!(await writeWithBackpressure(call, { event: eventToProto(event) }, signal))) return;
          after = event.sequence;
        }
        if (page.length < REPLAY_PAGE) break;
      }
      while (!signal.aborted) {
        if (overflowed) {
          throw new ServerError(status.RESOURCE_EXHAUSTED, `watcher fell behind by more than ${WATCH_BUFFER_LIMIT} events; reconnect with after_sequence=${after}`);
        }
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
          if (!(await writeWithBackpressure(call, { event: eventToProto(event) }, signal))) return;
          after = event.sequence;
        }
      }
    };
    run().then(
      () => (stream.revokedBy === null ? call.end() : call.emit('error', toServiceError(stream.revokedBy, log, 'WatchActions'))),
      (err: unknown) => call.emit('error', toServiceError(err, log, 'WatchActions')),
    ).finally(() => {
      unsubscribe();
      stream.close();
    });
  };
}
