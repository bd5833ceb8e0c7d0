import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionTerminatedError } from '../../src/client/ActionGuard.js';
import { ActionClient } from '../../src/client/ActionClient.js';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ControlSubscriber } from '../../src/client/ControlSubscriber.js';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { FAST_RECONNECT } from '../support/childServer.js';
import { waitFor } from '../support/waitFor.js';
import { runningAction } from '../killswitch/support.js';
import { startReplicaSet, type ReplicaSet } from './replicaSet.js';

const FAST_BACKOFF = { initialMs: 100, multiplier: 2, maxMs: 500, jitter: 0.2 };

describe('client failover over several replicas (--server a,b)', () => {
  let set: ReplicaSet;
  beforeEach(async () => {
    set = await startReplicaSet(2);
  });
  afterEach(async () => {
    await set.stop();
  });

  it('a subscriber whose replica is killed resubscribes on the other and gets its snapshot there; calls move too', async () => {
    const control = new ControlClient(set.addresses(), { channelOptions: FAST_RECONNECT });
    const actions = new ActionClient(set.addresses(), { channelOptions: FAST_RECONNECT });
    const subscriber = new ControlSubscriber(control, 'exec-f1', { backoff: FAST_BACKOFF });
    const perReplica = set.replicas.map((r) => new ControlClient(r.address));
    try {
      subscriber.start();
      await subscriber.waitUntilLive();
      const holders = await Promise.all(perReplica.map(async (c) => (await c.getControlState('')).subscribedExecutors.includes('exec-f1')));
      expect(holders.filter(Boolean)).toHaveLength(1);
      const dead = holders.indexOf(true);
      const survivor = 1 - dead;
      const { actionId } = await runningAction(set.replicas[survivor]!.client(), 'exec-f1');
      const guard = subscriber.guard(actionId);
      const aborted = new Promise((resolve) => guard.signal.addEventListener('abort', () => resolve(guard.signal.reason)));

      await set.replicas[dead]!.kill('SIGKILL');
      // Sent while the subscriber may still be reconnecting: the snapshot on the survivor carries it.
      await perReplica[survivor]!.terminate(actionId, 'replica lost');
      expect(await aborted).toBeInstanceOf(ActionTerminatedError);
      await waitFor(async () => (await perReplica[survivor]!.getControlState('')).subscribedExecutors, (ids) => ids.includes('exec-f1'), {
        what: 'the subscriber to resubscribe on the surviving replica',
      });
      const read = await waitFor(
        () => actions.getAction({ actionId }).then((r) => r.action?.status, () => undefined),
        (s) => s !== undefined,
        { what: 'a call over the list to reach the surviving replica' },
      );
      expect(read).toBe(ActionStatus.ACTION_STATUS_TERMINATED);
      for (let i = 0; i < 5; i += 1) await actions.getAction({ actionId });
    } finally {
      await subscriber.stop();
      control.close();
      actions.close();
      for (const c of perReplica) c.close();
    }
  });
});
