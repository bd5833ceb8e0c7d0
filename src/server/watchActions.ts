import { status, type handleServerStreamingCall } from '@grpc/grpc-js';
import type { WatchActionsRequest, WatchActionsResponse } from '../gen/actiongate/v1/action_service.js';
import type { ActionStore } from '../store/ActionStore.js';
import type { Logger } from 'pino';
import { actionFilterOf } from './actionFilter.js';
import { ServerError, toServiceError } from './errorMapper.js';
import { FellBehindError, historyFeed, WATCH_BUFFER_LIMIT } from './historyFeed.js';
import type { OpenStream, OpenStreams } from './OpenStreams.js';
import { eventToProto } from './protoMapping.js';
import { parseSequence } from './sequences.js';
import { writeWithBackpressure } from './streamWriter.js';

export interface WatchDeps {
  readonly store: ActionStore;
  readonly log: Logger;
  readonly streams: OpenStreams;
}

/** Replays history after `after_sequence`, then follows live commits (see historyFeed). */
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
    const run = async (): Promise<void> => {
      const req = call.request;
      const after = parseSequence('after_sequence', req.afterSequence);
      const filter = actionFilterOf(req);
      try {
        for await (const event of historyFeed(store, filter, after, signal)) {
          if (!(await writeWithBackpressure(call, { event: eventToProto(event) }, signal))) return;
        }
      } catch (err) {
        if (!(err instanceof FellBehindError)) throw err;
        throw new ServerError(
          status.RESOURCE_EXHAUSTED,
          `watcher fell behind by more than ${WATCH_BUFFER_LIMIT} events; reconnect with after_sequence=${err.lastSequence}`,
          { cause: err },
        );
      }
    };
    run().then(
      () => (stream.revokedBy === null ? call.end() : call.emit('error', toServiceError(stream.revokedBy, log, 'WatchActions'))),
      (err: unknown) => call.emit('error', toServiceError(err, log, 'WatchActions')),
    ).finally(() => stream.close());
  };
}
