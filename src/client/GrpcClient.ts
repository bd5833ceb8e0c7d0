import { credentials, type ChannelCredentials, type ChannelOptions, type Client } from '@grpc/grpc-js';
import { bearerToken } from './bearerToken.js';
import { unaryCall, type RequestOptions, type UnaryMethod } from './unaryCall.js';

export interface ClientOptions {
  /** TLS or mutual TLS (credentials.createSsl); plaintext when absent. */
  readonly credentials?: ChannelCredentials;
  readonly channelOptions?: ChannelOptions;
  /** A bearer token sent with every call, for a server with an auth file. */
  readonly token?: string;
}

type ClientConstructor<Raw> = new (address: string, credentials: ChannelCredentials, options?: ChannelOptions) => Raw;

/** A generated grpc-js client behind promise-returning methods; `raw` stays reachable for streams. */
export abstract class GrpcClient<Raw extends Client> {
  readonly raw: Raw;

  protected constructor(Constructor: ClientConstructor<Raw>, address: string, options: ClientOptions = {}) {
    const interceptors = options.token === undefined ? [] : [bearerToken(options.token)];
    this.raw = new Constructor(address, options.credentials ?? credentials.createInsecure(), { ...options.channelOptions, interceptors });
  }

  protected unary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options?: RequestOptions): Promise<Res> {
    return unaryCall(method.bind(this.raw) as UnaryMethod<Req, Res>, request, options);
  }

  close(): void {
    this.raw.close();
  }
}
