import { firstValueFrom, filter, type Observable } from 'rxjs';
import type { ActionClient } from '../../src/client/ActionClient.js';
import type { ControlClient } from '../../src/client/ControlClient.js';
import type { RunState } from '../../src/client/LocalControlState.js';
import { Signal, type ControlSignal, type SubscribeResponse } from '../../src/gen/actiongate/v1/control_service.js';

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

/** Polls `probe` until it returns true; fails after `timeoutMs`. */
export async function eventually(probe: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
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
    stream.on('error', (err: { code?: number }) => (err.code === 1 ? undefined : reject(err)));
  });
}
