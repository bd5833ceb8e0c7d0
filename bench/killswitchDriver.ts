import { performance } from 'node:perf_hooks';
import { ActionClient } from '../src/client/ActionClient.js';
import { ControlClient } from '../src/client/ControlClient.js';
import { ActionStatus } from '../src/gen/actiongate/v1/action.js';
import type { TerminateResponse } from '../src/gen/actiongate/v1/control_service.js';
import { openChannel, withTimeout, type BareFleet, type SubscriberFleet } from './killswitchFleets.js';
import { median, round3 } from './killswitchReport.js';

export const SIGNAL_TIMEOUT_MS = 10_000;
/** Polls for acknowledgements are untimed, but each one costs the server some CPU: not too often. */
const ACK_POLL_MS = 5;
const FLEET_ACK_POLL_MS = 20;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(check: () => Promise<boolean>, what: string, pollMs = ACK_POLL_MS): Promise<void> {
  const deadline = Date.now() + SIGNAL_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${SIGNAL_TIMEOUT_MS} ms`);
    await sleep(pollMs);
  }
}

export interface Sample {
  /** Call to applied (actiongate) or received (bare), ms. */
  readonly appliedMs: number;
  /** Call to the unary reply, ms. */
  readonly replyMs: number;
}

export interface FanOutSample {
  readonly firstMs: number;
  readonly medianMs: number;
  readonly lastMs: number;
  readonly replyMs: number;
  /** CPU this process used from the call until the last arrival and the reply (decode, SDK, grpc-js). */
  readonly clientCpuMs: number;
  /** CPU the server used over the same span (/proc, 10 ms ticks: read it as a mean over samples). */
  readonly serverCpuMs: number;
}

/** Where CPU stood when a sample started. */
interface CpuMark {
  readonly client: NodeJS.CpuUsage;
  readonly serverSeconds: number;
}

function markCpu(serverCpuSeconds: () => number): CpuMark {
  return { client: process.cpuUsage(), serverSeconds: serverCpuSeconds() };
}

function fanOut(start: number, times: readonly number[], replyAt: number, mark: CpuMark, serverCpuSeconds: () => number): FanOutSample {
  const client = process.cpuUsage(mark.client);
  return {
    firstMs: round3(times[0]! - start),
    medianMs: round3(median(times) - start),
    lastMs: round3(times[times.length - 1]! - start),
    replyMs: round3(replyAt - start),
    clientCpuMs: round3((client.user + client.system) / 1000),
    serverCpuMs: round3((serverCpuSeconds() - mark.serverSeconds) * 1000),
  };
}

/** The actiongate side: an operator (one channel) and a fleet of SDK subscribers. */
export class KillSwitchDriver {
  private readonly operatorChannel;
  readonly actions: ActionClient;
  readonly control: ControlClient;
  private closed = false;

  constructor(
    address: string,
    readonly fleet: SubscriberFleet,
    private readonly acknowledge: boolean,
    private readonly serverCpuSeconds: () => number,
  ) {
    this.operatorChannel = openChannel(address);
    this.actions = new ActionClient(address, { channelOptions: { channelOverride: this.operatorChannel } });
    this.control = new ControlClient(address, { channelOptions: { channelOverride: this.operatorChannel } });
  }

  /** Untimed: an action RUNNING under the target executor; timed: Terminate until its guard aborts. */
  async terminate(): Promise<Sample & { response: TerminateResponse }> {
    const target = this.fleet.subscribers[0]!;
    const { action } = await this.actions.propose({ actionType: 'collect_diagnostics', node: 'node-017', service: 'checkout-api', confidence: 0.9 });
    const actionId = action!.actionId;
    await this.actions.approve({ actionId, reason: 'benchmark' });
    const claimed = await this.actions.execute({ executorId: target.executorId, actionId });
    if (claimed.action?.status !== ActionStatus.ACTION_STATUS_RUNNING) throw new Error(`action ${actionId} is not RUNNING after Execute`);
    const guard = target.guard(actionId);
    if (guard.state !== 'RUNNING') throw new Error(`guard of ${actionId} is ${guard.state} before Terminate`);
    const applied = new Promise<number>((resolve) => guard.signal.addEventListener('abort', () => resolve(performance.now()), { once: true }));
    const start = performance.now();
    const reply = this.control.terminate(actionId, 'benchmark terminate').then((response) => ({ response, at: performance.now() }));
    const [appliedAt, { response, at }] = await Promise.all([withTimeout(applied, SIGNAL_TIMEOUT_MS, `terminate of ${actionId}`), reply]);
    guard.dispose();
    target.state.forget(actionId);
    // Let the executor's Ack land before the next sample, so it never overlaps a timed call.
    const sequence = response.signal!.sequence;
    if (this.acknowledge) {
      await waitUntil(async () => (await this.control.getControlState(actionId)).action!.acknowledgements.some((a) => a.sequence === sequence), `ack of ${sequence}`);
    }
    return { appliedMs: appliedAt - start, replyMs: at - start, response };
  }

  /** Halt until every subscriber applied it, then Unhalt likewise; acks drained after each. */
  async haltCycle(): Promise<{ halt: FanOutSample; unhalt: FanOutSample }> {
    const halt = await this.haltStep(true);
    const unhalt = await this.haltStep(false);
    return { halt, unhalt };
  }

  private async haltStep(halted: boolean): Promise<FanOutSample> {
    const arrived = this.fleet.expectHalt(halted, SIGNAL_TIMEOUT_MS);
    const mark = markCpu(this.serverCpuSeconds);
    const start = performance.now();
    const call = halted ? this.control.halt('benchmark halt', false) : this.control.unhalt('benchmark unhalt');
    const [times, replyAt] = await Promise.all([arrived, call.then(() => performance.now())]);
    const sample = fanOut(start, times, replyAt, mark, this.serverCpuSeconds);
    const size = this.fleet.subscribers.length;
    if (this.acknowledge) {
      await waitUntil(async () => {
        const state = await this.control.getControlState();
        return state.halt!.halted === halted && state.halt!.acknowledgements.length >= size;
      }, `${size} acks of ${halted ? 'halt' : 'unhalt'}`, FLEET_ACK_POLL_MS);
    }
    return sample;
  }

  /** Resolves once the server's hub lists exactly `count` subscribed executors (streams of a stopped fleet are gone). */
  async waitForSubscribers(count: number): Promise<void> {
    await waitUntil(async () => (await this.control.getControlState()).subscribedExecutors.length === count, `${count} subscribed executors`);
  }

  /** Stops the fleet, then the operator's clients; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fleet.stop();
    this.actions.close();
    this.control.close();
  }
}

export async function bareOne(bare: BareFleet): Promise<Sample> {
  const arrived = bare.arrivals.expect([0], SIGNAL_TIMEOUT_MS, 'bare push to stream 0');
  const start = performance.now();
  const [times, replyAt] = await Promise.all([arrived, bare.push(0).then(() => performance.now())]);
  return { appliedMs: times[0]! - start, replyMs: replyAt - start };
}

export async function bareAll(bare: BareFleet, serverCpuSeconds: () => number): Promise<FanOutSample> {
  const all = Array.from({ length: bare.size }, (_, index) => index);
  const arrived = bare.arrivals.expect(all, SIGNAL_TIMEOUT_MS, `bare push to ${all.length} streams`);
  const mark = markCpu(serverCpuSeconds);
  const start = performance.now();
  const [times, replyAt] = await Promise.all([arrived, bare.push('all').then(() => performance.now())]);
  return fanOut(start, times, replyAt, mark, serverCpuSeconds);
}

