import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { Signal } from '../../src/gen/actiongate/v1/control_service.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';
import { readSnapshot, runningAction } from './support.js';

describe('acknowledgements cannot hide a terminate', () => {
  let t: TestServer;
  let control: ControlClient;
  beforeAll(async () => {
    t = await startTestServer({ sweepIntervalMs: 50 });
    control = new ControlClient(t.address);
  });
  afterAll(async () => {
    control?.close();
    await t?.stop();
  });

  const terminateEntries = async (executorId: string, actionId: string) =>
    (await readSnapshot(control, executorId)).filter((s) => s.actionId === actionId && s.signal === Signal.SIGNAL_TERMINATE);

  it("another executor's ack of a terminate is refused, and the terminate stays in the holder's snapshot until the holder acks it", async () => {
    const { actionId } = await runningAction(t.actions, 'holder-1');
    const { signal } = await control.terminate(actionId, 'stop');
    const intruder = await control.ack('intruder-1', [signal!.sequence]);
    expect(intruder.recorded).toBe(0);
    expect(intruder.refused).toEqual([{ sequence: signal!.sequence, reason: expect.stringContaining('sent to executor holder-1') }]);
    expect(await terminateEntries('holder-1', actionId)).toHaveLength(1);
    expect((await control.ack('holder-1', [signal!.sequence])).recorded).toBe(1);
    expect(await terminateEntries('holder-1', actionId)).toHaveLength(0);
  });

  it('one bad sequence in a batch is refused alone; the rest are recorded', async () => {
    const { actionId } = await runningAction(t.actions, 'holder-2');
    const { signal: pause } = await control.pause(actionId, 'hold');
    const { signal: resume } = await control.resume(actionId, 'go');
    const reply = await control.ack('holder-2', [pause!.sequence, '987654321', resume!.sequence]);
    expect(reply.recorded).toBe(2);
    expect(reply.refused.map((r) => r.sequence)).toEqual(['987654321']);
    const state = await control.getControlState(actionId);
    expect(state.action?.acknowledgements.map((a) => a.sequence).sort()).toEqual([pause!.sequence, resume!.sequence].sort());
  });

  it("a new lease holder's snapshot does not carry the sequence of a signal sent to the previous holder", async () => {
    const { action } = await t.actions.propose({ actionType: 'collect_diagnostics', node: 'n1', service: 'api' });
    const actionId = action!.actionId;
    await t.actions.approve({ actionId });
    await t.actions.execute({ executorId: 'first-holder', actionId, leaseTtlSeconds: 1 });
    await control.pause(actionId, 'hold');
    const { signal: resume } = await control.resume(actionId, 'go');
    // The first holder's lease lapses; the action goes back to APPROVED, and a second executor claims it.
    await waitFor(async () => (await t.actions.getAction({ actionId })).action!.status, (s) => s === ActionStatus.ACTION_STATUS_APPROVED, { what: 'the lease to lapse' });
    await t.actions.execute({ executorId: 'second-holder', actionId });
    const entry = (await readSnapshot(control, 'second-holder')).find((s) => s.actionId === actionId);
    expect(entry?.signal).toBe(Signal.SIGNAL_RESUME);
    expect(entry?.sequence).toBe('0');
    // The first holder may still acknowledge what was sent to it.
    expect((await control.ack('first-holder', [resume!.sequence])).recorded).toBe(1);
  });

  it('unhalt resumes and lists only what is still live, not an action that ended while paused by the halt', async () => {
    const { actionId, leaseId } = await runningAction(t.actions, 'holder-3');
    const halted = await control.halt('incident', false);
    expect(halted.affectedActionIds).toContain(actionId);
    await t.actions.complete({ actionId, leaseId, result: { finished: 'anyway' } });
    const unhalted = await control.unhalt('resolved');
    expect(unhalted.resumedActionIds).not.toContain(actionId);
  });
});
