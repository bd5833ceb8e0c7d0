import type { handleServerStreamingCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { limitText } from '../domain/validation.js';
import type { WatchSignalsRequest, WatchSignalsResponse } from '../gen/actiongate/v1/control_service.js';
import type { ActionFilter, ActionStore } from '../store/ActionStore.js';
import { abortableWait } from '../shared/abortableWait.js';
import { signalToProto } from './controlMapping.js';
import { toServiceError } from './errorMapper.js';
import type { OpenStream, OpenStreams } from './OpenStreams.js';
import { parseSequence } from './sequences.js';
import { writeWithBackpressure } from './streamWriter.js';

const PAGE = 500;

export interface WatchSignalsDeps {
  readonly store: ActionStore;
  readonly log: Logger;
  readonly streams: OpenStreams;
}

/**
 * ControlService.WatchSignals: the signals after `after_sequence`, then each
 * new one as it commits. Every commit only wakes the stream, which reads on
 * from the last sequence it sent: signals are rare, so a slow watcher costs
 * no buffer, and nothing can fall between the replay and the live part.
 */
export function watchSignalsHandler(deps: WatchSignalsDeps): handleServerStreamingCall<WatchSignalsRequest, WatchSignalsResponse> {
  const { store, log, streams } = deps;
  return (call) => {
    let stream: OpenStream;
    try {
      stream = streams.open(call, 'WatchSignals');
    } catch (err) {
      call.emit('error', toServiceError(err, log, 'WatchSignals'));
      return;
    }
    const signal = stream.context.signal;
    let unsubscribe = (): void => {};
    const run = async (): Promise<void> => {
      const req = call.request;
      let after = parseSequence('after_sequence', req.afterSequence);
      const filter: ActionFilter = {
        node: limitText('node', req.node),
        service: limitText('service', req.service),
        actionType: limitText('action_type', req.actionType),
      };
      let committed = true;
      let wake = (): void => {};
      unsubscribe = store.onSignals(() => {
        committed = true;
        wake();
      });
      while (!signal.aborted) {
        if (!committed) {
          const woken = await abortableWait<boolean>((resolve) => {
            wake = () => resolve(true);
            return () => (wake = () => {});
          }, signal).catch(() => false);
          if (!woken) return;
        }
        committed = false;
        for (;;) {
          const page = await store.readSignals(after, filter, PAGE);
          for (const item of page) {
            if (!(await writeWithBackpressure(call, { signal: signalToProto(item) }, signal))) return;
            after = item.sequence;
          }
          if (page.length < PAGE) break;
        }
      }
    };
    run().then(
      () => (stream.revokedBy === null ? call.end() : call.emit('error', toServiceError(stream.revokedBy, log, 'WatchSignals'))),
      (err: unknown) => call.emit('error', toServiceError(err, log, 'WatchSignals')),
    ).finally(() => {
      unsubscribe();
      stream.close();
    });
  };
}
