import { performance } from 'node:perf_hooks';
import { Channel, Client, Metadata, credentials, type ClientReadableStream } from '@grpc/grpc-js';
import type { Subscription } from 'rxjs';
import { ControlClient } from '../src/client/ControlClient.js';
import { ControlSubscriber, type ControlSubscriberOptions } from '../src/client/ControlSubscriber.js';
import { BENCH_CHANNEL_OPTIONS } from './clientPool.js';
import { EVERY_STREAM, FAN_OUT_SERVICE, READY } from './killswitchBaseline.js';

/** Subscribers are connected this many at a time, each batch live before the next starts. */
const CONNECT_BATCH = 100;
const CONNECT_TIMEOUT_MS = 60_000;

/** One grpc-js channel (one TCP connection: the subchannel pool is per channel) to `address`. */
export function openChannel(address: string): Channel {
  return new Channel(address, credentials.createInsecure(), BENCH_CHANNEL_OPTIONS);
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Wait {
  readonly expected: Uint8Array;
  remaining: number;
  readonly times: number[];
  readonly resolve: (times: number[]) => void;
}

/**
 * Waits for each of a set of receivers to see one event. `record(i)` is called by
 * receiver i; the promise resolves with the performance.now() of every first arrival.
 */
export class Arrivals {
  private wait: Wait | undefined;

  constructor(private readonly capacity: number) {}

  expect(receivers: readonly number[], timeoutMs: number, what: string): Promise<number[]> {
    if (this.wait !== undefined) throw new Error('one wait at a time');
    const expected = new Uint8Array(this.capacity);
    for (const index of receivers) expected[index] = 1;
    const done = new Promise<number[]>((resolve) => {
      this.wait = { expected, remaining: receivers.length, times: [], resolve };
    });
    return withTimeout(done, timeoutMs, what).finally(() => (this.wait = undefined));
  }

  record(index: number): void {
    const wait = this.wait;
    if (wait === undefined || wait.expected[index] !== 1) return;
    wait.times.push(performance.now());
    wait.expected[index] = 0;
    if (--wait.remaining === 0) wait.resolve(wait.times);
  }
}

/**
 * Executors as the SDK runs them: one ControlSubscriber per executor id, spread
 * round-robin over `channels` ControlClients (one channel each). A subscriber
 * counts as having applied a halt or unhalt when its LocalControlState's halt$ says so.
 */
export class SubscriberFleet {
  readonly subscribers: ControlSubscriber[] = [];
  readonly clients: ControlClient[];
  readonly halts: Arrivals;
  /** Times a subscriber's stream broke and it went into backoff: a healthy run has 0. */
  reconnects = 0;
  private expectedHalted: boolean | undefined;
  private readonly watchers: Subscription[] = [];

  constructor(address: string, channels: number, readonly capacity: number, private readonly options: ControlSubscriberOptions) {
    this.clients = Array.from({ length: channels }, () => new ControlClient(address, { channelOptions: { channelOverride: openChannel(address) } }));
    this.halts = new Arrivals(capacity);
  }

  /** Adds subscribers (executor ids `${prefix}-0000`...) until `total` are live. */
  async grow(total: number, prefix: string): Promise<void> {
    while (this.subscribers.length < total) {
      const batch: Promise<void>[] = [];
      for (let n = 0; n < CONNECT_BATCH && this.subscribers.length < total; n++) {
        const index = this.subscribers.length;
        const client = this.clients[index % this.clients.length]!;
        const subscriber = new ControlSubscriber(client, `${prefix}-${String(index).padStart(4, '0')}`, this.options);
        this.subscribers.push(subscriber);
        this.watchers.push(subscriber.state.halt$.subscribe((hold) => {
          if (hold.halted === this.expectedHalted) this.halts.record(index);
        }));
        this.watchers.push(subscriber.connection$.subscribe((state) => {
          if (state === 'backoff') this.reconnects += 1;
        }));
        subscriber.start();
        batch.push(subscriber.waitUntilLive());
      }
      await withTimeout(Promise.all(batch), CONNECT_TIMEOUT_MS, `connecting subscribers up to ${this.subscribers.length}`);
    }
  }

  /** Call right before Halt (true) or Unhalt (false); resolves with each subscriber's apply time. */
  expectHalt(halted: boolean, timeoutMs: number): Promise<number[]> {
    this.expectedHalted = halted;
    const all = this.subscribers.map((_, index) => index);
    return this.halts.expect(all, timeoutMs, `${halted ? 'halt' : 'unhalt'} reaching ${all.length} subscribers`)
      .finally(() => (this.expectedHalted = undefined));
  }

  async stop(): Promise<void> {
    for (const watcher of this.watchers) watcher.unsubscribe();
    await Promise.all(this.subscribers.map((subscriber) => subscriber.stop()));
    for (const client of this.clients) client.close();
  }
}

const identity = (bytes: Buffer): Buffer => bytes;

/** The baseline's streams: raw grpc-js server streams over `channels` channels, no decoding. */
export class BareFleet {
  readonly arrivals: Arrivals;
  private readonly streamClients: Client[];
  private readonly pushClient: Client;
  private readonly streams: ClientReadableStream<Buffer>[] = [];

  constructor(address: string, channels: number, readonly capacity: number) {
    this.streamClients = Array.from({ length: channels }, () => new Client(address, credentials.createInsecure(), { channelOverride: openChannel(address) }));
    this.pushClient = new Client(address, credentials.createInsecure(), { channelOverride: openChannel(address) });
    this.arrivals = new Arrivals(capacity);
  }

  get size(): number {
    return this.streams.length;
  }

  idOf(index: number): string {
    return `bare-${String(index).padStart(4, '0')}`;
  }

  async grow(total: number): Promise<void> {
    while (this.streams.length < total) {
      const batch: Promise<void>[] = [];
      for (let n = 0; n < CONNECT_BATCH && this.streams.length < total; n++) {
        const index = this.streams.length;
        const client = this.streamClients[index % this.streamClients.length]!;
        const stream = client.makeServerStreamRequest(FAN_OUT_SERVICE.watch.path, identity, identity, Buffer.from(this.idOf(index)), new Metadata(), {});
        this.streams.push(stream);
        batch.push(new Promise<void>((resolve, reject) => {
          stream.on('data', (message: Buffer) => {
            if (message.length === READY.length && message[0] === READY[0]) resolve();
            else this.arrivals.record(index);
          });
          stream.on('error', (err) => reject(err));
        }));
      }
      await withTimeout(Promise.all(batch), CONNECT_TIMEOUT_MS, `connecting bare streams up to ${this.streams.length}`);
    }
  }

  /** The unary call that makes the server push; `target` is a stream index or 'all'. */
  push(target: number | 'all'): Promise<Buffer> {
    const request = Buffer.from(target === 'all' ? EVERY_STREAM : this.idOf(target));
    return new Promise((resolve, reject) => {
      this.pushClient.makeUnaryRequest(FAN_OUT_SERVICE.push.path, identity, identity, request, new Metadata(), {},
        (err, reply?: Buffer) => (err ? reject(err) : resolve(reply!)));
    });
  }

  stop(): void {
    for (const stream of this.streams) {
      stream.removeAllListeners('error');
      stream.on('error', () => {});
      stream.cancel();
    }
    for (const client of this.streamClients) client.close();
    this.pushClient.close();
  }
}
