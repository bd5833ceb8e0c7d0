import { rmSync } from 'node:fs';
import { status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUIRED_ROLE, type Role, type Rpc } from '../../src/domain/roles.js';
import type { Action } from '../../src/gen/actiongate/v1/action.js';
import { startTestServer, tempDataDir, type TestServer } from '../support/testServer.js';
import { clientsFor, principal, writeAuthFile, type Clients } from './authFixture.js';

const EXECUTOR_ID = 'runner-1';
const PRINCIPALS = {
  agent: principal('deploy-bot', ['agent']),
  approver: principal('alice', ['approver']),
  executor: principal('runner', ['executor'], [EXECUTOR_ID]),
  operator: principal('oncall', ['operator']),
  viewer: principal('auditor', ['viewer']),
  admin: principal('root', ['admin']),
};
type Caller = keyof typeof PRINCIPALS | 'no token' | 'wrong token';
const CALLERS: readonly Caller[] = [...(Object.keys(PRINCIPALS) as (keyof typeof PRINCIPALS)[]), 'no token', 'wrong token'];

/** What one RPC needs set up by an admin, how a caller makes it, and the part of the world it could change. */
interface Case {
  prepare(admin: Clients): Promise<{ actionId: string; leaseId: string; sequence: string }>;
  call(c: Clients, target: { actionId: string; leaseId: string; sequence: string }): Promise<unknown>;
}

/** The first message or the refusal of a server stream, then the stream is cancelled. */
function firstOf(stream: ClientReadableStream<unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    stream.on('data', () => {
      stream.cancel();
      resolve('data');
    });
    stream.on('error', (err: ServiceError) => (err.code === status.CANCELLED ? undefined : reject(err)));
  });
}

describe('who may call what', () => {
  let t: TestServer;
  let admin: Clients;
  const clients = new Map<Caller, Clients>();
  const dir = tempDataDir('actiongate-auth-');

  beforeAll(async () => {
    const authFile = writeAuthFile(dir, Object.values(PRINCIPALS));
    t = await startTestServer({ authFile });
    for (const caller of CALLERS) {
      const token = caller === 'no token' ? undefined : caller === 'wrong token' ? 'not-a-token-anyone-has' : PRINCIPALS[caller].token;
      clients.set(caller, clientsFor(t.address, token));
    }
    admin = clients.get('admin')!;
  });
  afterAll(async () => {
    for (const c of clients.values()) c.close();
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const propose = async (c: Clients): Promise<Action> =>
    (await c.actions.propose({ actionType: 'rerun_healthcheck', node: `n-${Math.random()}`, service: 'api' })).action!;
  // Set-ups propose as the agent and approve as the approver: nobody approves their own proposal.
  const pending = async () => ({ actionId: (await propose(clients.get('agent')!)).actionId, leaseId: '', sequence: '0' });
  const approved = async () => {
    const target = await pending();
    await clients.get('approver')!.actions.approve({ actionId: target.actionId });
    return target;
  };
  const running = async (c: Clients) => {
    const target = await approved();
    const claim = await c.actions.execute({ executorId: EXECUTOR_ID, actionId: target.actionId });
    return { ...target, leaseId: claim.leaseId };
  };
  const none = async () => ({ actionId: '', leaseId: '', sequence: '0' });

  const CASES: Record<Rpc, Case> = {
    Propose: { prepare: none, call: (c) => propose(c) },
    Approve: { prepare: pending, call: (c, x) => c.actions.approve({ actionId: x.actionId }) },
    // Proposed by admin: the agent may reject (withdraw) only its own proposals, which test/governance/approvals.test.ts covers.
    Reject: {
      prepare: async () => ({ actionId: (await propose(admin)).actionId, leaseId: '', sequence: '0' }),
      call: (c, x) => c.actions.reject({ actionId: x.actionId, reason: 'no' }),
    },
    Execute: { prepare: approved, call: (c, x) => c.actions.execute({ executorId: EXECUTOR_ID, actionId: x.actionId }) },
    Heartbeat: { prepare: running, call: (c, x) => c.actions.heartbeat({ actionId: x.actionId, leaseId: x.leaseId }) },
    Complete: { prepare: running, call: (c, x) => c.actions.complete({ actionId: x.actionId, leaseId: x.leaseId }) },
    Fail: { prepare: running, call: (c, x) => c.actions.fail({ actionId: x.actionId, leaseId: x.leaseId, error: 'x' }) },
    GetAction: { prepare: pending, call: (c, x) => c.actions.getAction({ actionId: x.actionId }) },
    ListActions: { prepare: none, call: (c) => c.actions.listActions({}) },
    WatchActions: { prepare: none, call: (c) => firstOf(c.actions.raw.watchActions({ afterSequence: '0', statuses: [], node: '', service: '', actionType: '' })) },
    Subscribe: { prepare: none, call: (c) => firstOf(c.control.subscribe(EXECUTOR_ID)) },
    WatchSignals: {
      // A signal to replay, so an allowed watcher gets a message.
      prepare: async (c) => {
        const target = await running(c);
        await c.control.pause(target.actionId);
        return target;
      },
      call: (c) => firstOf(c.control.raw.watchSignals({ afterSequence: '0', node: '', service: '', actionType: '' })),
    },
    Pause: { prepare: running, call: (c, x) => c.control.pause(x.actionId) },
    Resume: {
      prepare: async (c) => {
        const target = await running(c);
        await c.control.pause(target.actionId);
        return target;
      },
      call: (c, x) => c.control.resume(x.actionId),
    },
    Terminate: { prepare: pending, call: (c, x) => c.control.terminate(x.actionId) },
    Halt: { prepare: none, call: (c) => c.control.halt('drill') },
    Unhalt: {
      prepare: async (c) => {
        await c.control.halt('drill');
        return none();
      },
      call: (c) => c.control.unhalt('drill over'),
    },
    GetControlState: { prepare: pending, call: (c, x) => c.control.getControlState(x.actionId) },
    VerifyHistory: { prepare: none, call: (c) => c.actions.verifyHistory() },
    GetPolicy: { prepare: none, call: (c) => c.actions.getPolicy() },
    Ack: {
      prepare: async (c) => {
        const target = await running(c);
        const { signal } = await c.control.pause(target.actionId);
        return { ...target, sequence: signal!.sequence };
      },
      call: (c, x) => c.control.ack(EXECUTOR_ID, [x.sequence]),
    },
  };

  /** Everything a refused call could have changed: the target action (status, history, control) and the halt. */
  async function world(actionId: string): Promise<unknown> {
    const { halt } = await admin.control.getControlState('');
    const action = actionId === '' ? null : (await admin.actions.getAction({ actionId })).action;
    const count = (await admin.actions.listActions({ pageSize: 500 })).actions.length;
    return { halted: halt?.halted, count, status: action?.status, history: action?.history.length, control: action?.controlState, acks: actionId === '' ? 0 : (await admin.control.getControlState(actionId)).action?.acknowledgements.length };
  }

  const allowed = (caller: Caller, rpc: Rpc): boolean => {
    if (caller === 'no token' || caller === 'wrong token') return false;
    const needed = REQUIRED_ROLE[rpc];
    return needed === null || (PRINCIPALS[caller].roles as readonly Role[]).some((r) => r === needed || r === 'admin');
  };

  for (const rpc of Object.keys(CASES) as Rpc[]) {
    it(`${rpc}: allowed for ${CALLERS.filter((c) => allowed(c, rpc)).join(', ')}; refused, changing nothing, for the rest`, async () => {
      for (const caller of CALLERS) {
        const target = await CASES[rpc].prepare(admin);
        const before = await world(target.actionId);
        const outcome = await CASES[rpc].call(clients.get(caller)!, target).then(
          () => null,
          (err: ServiceError) => err,
        );
        if (allowed(caller, rpc)) {
          expect(outcome, `${caller} calling ${rpc}: ${outcome?.details}`).toBeNull();
        } else {
          const expected = caller === 'no token' || caller === 'wrong token' ? status.UNAUTHENTICATED : status.PERMISSION_DENIED;
          expect(status[outcome?.code ?? status.OK], `${caller} calling ${rpc}: ${outcome?.details}`).toBe(status[expected]);
          if (expected === status.PERMISSION_DENIED) expect(outcome!.details).toContain(`needs the ${REQUIRED_ROLE[rpc]} role`);
          expect(await world(target.actionId), `${caller} calling ${rpc} changed something`).toEqual(before);
        }
        const { halt } = await admin.control.getControlState('');
        if (halt?.halted) await admin.control.unhalt('reset between calls');
      }
    });
  }

  it('an executor acts only as its own executor ids, and only on leases it holds', async () => {
    const runner = clients.get('executor')!;
    const action = await propose(admin);
    await clients.get('approver')!.actions.approve({ actionId: action.actionId });
    for (const refused of [
      runner.actions.execute({ executorId: 'someone-else', actionId: action.actionId }),
      runner.control.ack('someone-else', ['1']),
      firstOf(runner.control.subscribe('someone-else')),
    ]) {
      const err = (await refused.then(() => null, (e: ServiceError) => e))!;
      expect(status[err.code], err.details).toBe('PERMISSION_DENIED');
      expect(err.details).toContain('may not act as executor someone-else');
    }
    // An action another executor holds: the runner cannot finish it, even holding the lease id.
    const other = await admin.actions.execute({ executorId: 'other-runner', actionId: action.actionId });
    const theft = await runner.actions.complete({ actionId: action.actionId, leaseId: other.leaseId }).then(() => null, (e: ServiceError) => e);
    expect(status[theft!.code]).toBe('PERMISSION_DENIED');
    expect(theft!.details).toContain('does not hold the lease');
    // A reader never sees the lease id that would let it try.
    expect((await runner.actions.getAction({ actionId: action.actionId })).action?.lease?.leaseId).toBe('');
  });

  it('records who did it from the credential, not from any request field', async () => {
    const action = (await clients.get('agent')!.actions.propose({ actionType: 'rerun_healthcheck', node: 'who', service: 'api' })).action!;
    const approvedAction = (await clients.get('approver')!.actions.approve({ actionId: action.actionId, reason: 'ok' })).action!;
    const { signal } = await clients.get('operator')!.control.terminate(action.actionId, 'stop');
    expect(action.proposedBy).toBe('deploy-bot');
    expect(approvedAction.decisions[0]?.actor).toBe('alice');
    expect(signal?.issuedBy).toBe('oncall');
    const history = (await admin.actions.getAction({ actionId: action.actionId })).action!.history.map((e) => e.actor);
    expect(history).toEqual(['deploy-bot', 'alice', 'oncall']);
  });

  it('lets two principals use the same idempotency key, each for its own action', async () => {
    const one = await clients.get('agent')!.actions.propose({ actionType: 'rerun_healthcheck', node: 'k', service: 'api', idempotencyKey: 'shared-key' });
    const two = await admin.actions.propose({ actionType: 'rerun_healthcheck', node: 'k', service: 'api', idempotencyKey: 'shared-key' });
    expect(two.replayed).toBe(false);
    expect(two.action?.actionId).not.toBe(one.action?.actionId);
  });
});
