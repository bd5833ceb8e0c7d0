import { status, type handleServerStreamingCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ControlHub } from '../control/ControlHub.js';
import { SubscriptionOverflowError } from '../control/Subscription.js';
import { snapshotSignalFor } from '../domain/control.js';
import type { ControlSignal } from '../domain/controlSignal.js';
import { requireExecutorId } from '../domain/roles.js';
import { requireIntactIdentifier, requireText } from '../domain/validation.js';
import type { SubscribeRequest, SubscribeResponse } from '../gen/actiongate/v1/control_service.js';
import type { ControlStore } from '../store/ControlStore.js';
import { liveSignalBytes, signalToProto } from './controlMapping.js';
import { ServerError, toServiceError } from './errorMapper.js';
import type { OpenStream, OpenStreams } from './OpenStreams.js';
import { writeWithBackpressure } from './streamWriter.js';

export interface SubscribeDeps {
  readonly store: ControlStore;
  readonly hub: ControlHub;
  readonly log: Logger;
  readonly streams: OpenStreams;
}

/** The snapshot a (re)subscribing executor starts from: its actions, the halt state, then the marker. */
async function snapshotSignals(store: ControlStore, executorId: string): Promise<{ signals: ControlSignal[]; highWater: number }> {
  const snapshot = await store.snapshot(executorId);
  const signals: ControlSignal[] = snapshot.actions.map((action) => ({
    sequence: action.controlSequence,
    actionId: action.id,
    executorId,
    signal: snapshotSignalFor(action),
    reason: action.control === 'PAUSED' && action.pausedByHalt ? 'paused by halt' : '',
    issuedBy: '',
    issuedAt: action.updatedAt,
    terminateRunning: false,
  }));
  const halt = snapshot.halt.signal ?? { sequence: 0, actionId: null, executorId: null, signal: 'UNHALT', reason: '', issuedBy: '', issuedAt: 0, terminateRunning: false };
  signals.push(halt);
  const marker: ControlSignal = {
    sequence: snapshot.highWater, actionId: null, executorId, signal: 'SNAPSHOT_COMPLETE', reason: '', issuedBy: '', issuedAt: Date.now(), terminateRunning: false,
  };
  return { signals: [...signals, marker], highWater: snapshot.highWater };
}

export function subscribeHandler(deps: SubscribeDeps): handleServerStreamingCall<SubscribeRequest, SubscribeResponse> {
  const { store, hub, log, streams } = deps;
  return (call) => {
    let executorId: string;
    let stream: OpenStream;
    try {
      const requested = requireIntactIdentifier('executor_id', requireText('executor_id', call.request.executorId));
      stream = streams.open(call, 'Subscribe', (principal) => requireExecutorId(principal, requested));
      executorId = requested;
    } catch (err) {
      call.emit('error', toServiceError(err, log, 'Subscribe'));
      return;
    }
    const signal = stream.context.signal;
    const subscription = hub.subscribe(executorId);
    const streamLog = log.child({ executorId });
    const run = async (): Promise<void> => {
      const { signals, highWater } = await snapshotSignals(store, executorId);
      for (const item of signals) {
        const snapshot = item.signal !== 'SNAPSHOT_COMPLETE';
        if (!(await writeWithBackpressure(call, { signal: signalToProto(item, snapshot) }, signal))) return;
      }
      streamLog.debug({ highWater, held: signals.length - 2 }, 'control stream live');
      // From here the hub writes to the stream itself, synchronously, as signals commit.
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => subscription.drained();
        call.on('drain', onDrain);
        const finish = (settle: () => void): void => {
          call.off('drain', onDrain);
          signal.removeEventListener('abort', onAbort);
          settle();
        };
        const onAbort = (): void => finish(resolve);
        signal.addEventListener('abort', onAbort, { once: true });
        subscription.goLive(highWater, {
          write: (item) => call.write(liveSignalBytes(item) as unknown as SubscribeResponse),
          overflow: (err) => finish(() => reject(err)),
        });
        if (signal.aborted) onAbort();
      });
    };
    run()
      .then(
        () => (stream.revokedBy === null ? call.end() : call.emit('error', toServiceError(stream.revokedBy, log, 'Subscribe'))),
        (err: unknown) => {
          if (err instanceof SubscriptionOverflowError) {
            streamLog.warn('control stream fell behind; closing it so the executor resubscribes');
            call.emit('error', toServiceError(new ServerError(status.RESOURCE_EXHAUSTED, err.message), log, 'Subscribe'));
          } else {
            call.emit('error', toServiceError(err, log, 'Subscribe'));
          }
        },
      )
      .finally(() => {
        // A keepalive that finds the link dead closes the connection, and grpc-js reports its calls
        // as cancelled: the subscription goes, and with it the executor from subscribed_executors.
        if (call.cancelled) streamLog.info('control stream gone: the executor cancelled it or its connection died');
        subscription.close();
        stream.close();
      });
  };
}
