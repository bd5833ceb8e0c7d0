import { status } from '@grpc/grpc-js';
import { firstValueFrom, filter, type Observable } from 'rxjs';
import type { ActionClient } from '../../src/client/ActionClient.js';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ControlSubscriber } from '../../src/client/ControlSubscriber.js';
import type { RunState } from '../../src/client/LocalControlState.js';
import { Signal, type ControlSignal, type SubscribeResponse } from '../../src/gen/actiongate/v1/control_service.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

/** Proposes, approves and claims one action for `executorId`; returns its id and lease. */
export async function runningAction(actions: ActionClient, executorId: string): Promise<{ actionId: string; leaseId: string }> {
  const { action } = await actions.propose({ actionType: 'collect_diagnostics', node: 'n1', service: 'api', confidence: 0.5 });
  await actions.approve({ actionId: action!.actionId });
  const claimed = await actions.execute({ executorId, actionId: action!.actionId });
  return { actionId: action!.actionId, leaseId: claimed.leaseId };
}

/** Resolves when the state stream reaches `wanted` (it replays its current value first). */
export function reaches(state$: Observable<RunState>, wanted: RunState): Promise<RunState> {
  return firstValueFrom(state$.pipe(filter((state) => state === wanted)));
}

/** Opens a raw Subscribe stream and returns every signal up to and including the snapshot marker. */
export function readSnapshot(control: ControlClient, executorId: string): Promise<ControlSignal[]> {
  return new Promise((resolve, reject) => {
    const signals: ControlSignal[] = [];
    const stream = control.subscribe(executorId);
    stream.on('data', (message: SubscribeResponse) => {
      signals.push(message.signal!);
      if (message.signal!.signal === Signal.SIGNAL_SNAPSHOT_COMPLETE) {
        stream.cancel();
        resolve(signals);
      }
    });
    stream.on('error', (err: { code?: number }) => (err.code === status.CANCELLED ? undefined : reject(err)));
  });
}

export interface SubscribedServer {
  readonly t: TestServer;
  readonly control: ControlClient;
  readonly subscriber: ControlSubscriber;
  stop(): Promise<void>;
}

/** A test server, an operator's ControlClient, and a live ControlSubscriber for `executorId`. */
export async function startSubscribedServer(executorId: string): Promise<SubscribedServer> {
  const t = await startTestServer();
  const control = new ControlClient(t.address);
  const subscriber = new ControlSubscriber(control, executorId);
  subscriber.start();
  await subscriber.waitUntilLive();
  return {
    t,
    control,
    subscriber,
    async stop() {
      await subscriber.stop();
      control.close();
      await t.stop();
    },
  };
}
