import { credentials, type ChannelCredentials, type ChannelOptions, type Client } from '@grpc/grpc-js';
import { bearerToken } from './bearerToken.js';
import { grpcTarget } from './grpcTarget.js';
import { keepaliveChannelOptions } from './keepaliveChannelOptions.js';
import { unaryCall, type RequestOptions, type UnaryMethod } from './unaryCall.js';

export interface ClientOptions {
  /** TLS or mutual TLS (credentials.createSsl); plaintext when absent. */
  readonly credentials?: ChannelCredentials;
  /** How often the channel pings the server (default 10 000 ms); 0 turns keepalive off. */
  readonly keepaliveTimeMs?: number;
  /** How long a ping may go unanswered before the connection is closed as dead (default 5000 ms). */
  readonly keepaliveTimeoutMs?: number;
  /** Raw grpc-js channel options; they win over the keepalive settings above. */
  readonly channelOptions?: ChannelOptions;
  /** A bearer token sent with every call, for a server with an auth file. */
  readonly token?: string;
}

type ClientConstructor<Raw> = new (address: string, credentials: ChannelCredentials, options?: ChannelOptions) => Raw;

/**
 * A generated grpc-js client behind promise-returning methods; `raw` stays
 * reachable for streams. Its channel keeps the connection alive with pings, so
 * a half-open link fails its calls within seconds instead of hanging them.
 */
export abstract class GrpcClient<Raw extends Client> {
  readonly raw: Raw;

  /** `address` is host:port, or several replicas' `a:port,b:port` (see grpcTarget). */
  protected constructor(Constructor: ClientConstructor<Raw>, address: string, options: ClientOptions = {}) {
    const interceptors = options.token === undefined ? [] : [bearerToken(options.token)];
    const { target, options: balancing } = grpcTarget(address);
    const channelOptions = { ...keepaliveChannelOptions(options.keepaliveTimeMs, options.keepaliveTimeoutMs), ...balancing, ...options.channelOptions, interceptors };
    this.raw = new Constructor(target, options.credentials ?? credentials.createInsecure(), channelOptions);
  }

  protected unary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options?: RequestOptions): Promise<Res> {
    return unaryCall(method.bind(this.raw) as UnaryMethod<Req, Res>, request, options);
  }

  close(): void {
    this.raw.close();
  }
}
