import { status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { Signal } from '../../src/gen/actiongate/v1/control_service.js';
import type { WatchSignalsRequest, WatchSignalsResponse } from '../../src/gen/actiongate/v1/control_service.js';
import { proposeAction, uniqueNode } from '../support/actionFactory.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';

const REQUEST: WatchSignalsRequest = { afterSequence: '0', node: '', service: '', actionType: '' };

/** Opens a WatchSignals stream and collects what it sends, and how it ended. */
function watch(control: ControlClient, request: Partial<WatchSignalsRequest>) {
  const call: ClientReadableStream<WatchSignalsResponse> = control.raw.watchSignals({ ...REQUEST, ...request });
  const received: WatchSignalsResponse[] = [];
  const ended = new Promise<ServiceError | null>((resolve) => {
    call.on('data', (message: WatchSignalsResponse) => received.push(message));
    call.on('error', (err: ServiceError) => resolve(err));
    call.on('end', () => resolve(null));
  });
  return { call, received, ended };
}

describe('ControlService.WatchSignals', () => {
  let t: TestServer;
  let control: ControlClient;
  afterEach(async () => {
    control?.close();
    await t?.stop();
  });

  it('replays signals after a sequence, then streams new ones live, filtered by node; HALT always passes', async () => {
    t = await startTestServer();
    control = new ControlClient(t.address);
    const node = uniqueNode('signals');
    const mine = await proposeAction(t.actions, { node });
    const other = await proposeAction(t.actions, { node: uniqueNode('other') });
    const { signal: first } = await control.pause(mine.actionId, 'before the watch');
    await control.pause(other.actionId, 'another node');

    const stream = watch(control, { node });
    await waitFor(() => stream.received.length, (n) => n >= 1, { what: 'the replayed pause' });
    await control.terminate(mine.actionId, 'live');
    await control.halt('drill', false);
    await waitFor(() => stream.received.length, (n) => n >= 3, { what: 'the live terminate and halt' });
    stream.call.cancel();

    const kinds = stream.received.map((m) => [m.signal!.signal, m.signal!.actionId]);
    expect(kinds).toEqual([
      [Signal.SIGNAL_PAUSE, mine.actionId],
      [Signal.SIGNAL_TERMINATE, mine.actionId],
      [Signal.SIGNAL_HALT, ''],
    ]);
    expect(stream.received[0]!.signal!.sequence).toBe(first!.sequence);
  });

  it.each([
    ['a node of 100,000 characters', { node: 'n'.repeat(100_000) }, 'node'],
    ['a service of 100,000 characters', { service: 's'.repeat(100_000) }, 'service'],
  ])('refuses %s with INVALID_ARGUMENT naming the field', async (_what, request, field) => {
    t = await startTestServer();
    control = new ControlClient(t.address);
    const err = await watch(control, request).ended;
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toContain(field);
  });
});
