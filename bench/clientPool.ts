import { Client, Metadata, credentials, type ChannelOptions, type ServiceError } from '@grpc/grpc-js';
import { ActionClient } from '../src/client/ActionClient.js';

/**
 * Separate channels must not share one TCP connection: grpc-js pools subchannels
 * process-wide unless told otherwise, so N clients to one address would be one socket.
 */
export const BENCH_CHANNEL_OPTIONS: ChannelOptions = { 'grpc.use_local_subchannel_pool': 1 };

const identity = (bytes: Buffer): Buffer => bytes;

/**
 * `size` grpc-js clients to one address, used round-robin, one call per turn.
 * `call` sends pre-encoded bytes and returns the reply's bytes undecoded, so the
 * client does the same work whichever server and method it calls.
 */
export class RawClientPool {
  private readonly clients: Client[];
  private next = 0;

  constructor(address: string, size: number, private readonly deadlineMs: number) {
    this.clients = Array.from({ length: size }, () => new Client(address, credentials.createInsecure(), BENCH_CHANNEL_OPTIONS));
  }

  call(path: string, request: Buffer): Promise<Buffer> {
    const client = this.clients[this.next++ % this.clients.length]!;
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(path, identity, identity, request, new Metadata(), { deadline: Date.now() + this.deadlineMs },
        (err: ServiceError | null, reply?: Buffer) => (err ? reject(err) : resolve(reply!)));
    });
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}

/** `size` SDK clients (src/client/ActionClient.ts) to one address, handed out round-robin. */
export class ActionClientPool {
  private readonly clients: ActionClient[];
  private next = 0;

  constructor(address: string, size: number) {
    this.clients = Array.from({ length: size }, () => new ActionClient(address, { channelOptions: BENCH_CHANNEL_OPTIONS }));
  }

  take(): ActionClient {
    return this.clients[this.next++ % this.clients.length]!;
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
