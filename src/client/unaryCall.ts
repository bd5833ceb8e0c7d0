import { Metadata, type CallOptions, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';

export interface RequestOptions {
  /** Cancels the call; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Milliseconds until grpc-js gives up with DEADLINE_EXCEEDED. */
  readonly timeoutMs?: number;
}

type Callback<Res> = (err: ServiceError | null, response?: Res) => void;
export type UnaryMethod<Req, Res> = (request: Req, metadata: Metadata, options: Partial<CallOptions>, callback: Callback<Res>) => ClientUnaryCall;

/** Runs one generated unary method as a promise that honours an AbortSignal. */
export function unaryCall<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options: RequestOptions = {}): Promise<Res> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<Res>((resolve, reject) => {
    const callOptions: Partial<CallOptions> = timeoutMs === undefined ? {} : { deadline: Date.now() + timeoutMs };
    const onAbort = (): void => call.cancel();
    const call = method(request, new Metadata(), callOptions, (err, response) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) reject(signal.reason);
      else if (err) reject(err);
      else resolve(response as Res);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
