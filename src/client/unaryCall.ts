import { Metadata, type CallOptions, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';

export interface RequestOptions {
  /** Cancels the call; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Milliseconds until grpc-js gives up with DEADLINE_EXCEEDED. */
  readonly timeoutMs?: number;
}

type Callback<Res> = (err: ServiceError | null, response?: Res) => void;
export type UnaryMethod<Req, Res> = (request: Req, metadata: Metadata, options: Partial<CallOptions>, callback: Callback<Res>) => ClientUnaryCall;

/** Runs one generated unary method as a promise that honours an AbortSignal (an abort cancels the call). */
export function unaryCall<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options: RequestOptions = {}): Promise<Res> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<Res>((resolve, reject) => {
    const callOptions: Partial<CallOptions> = timeoutMs === undefined ? {} : { deadline: Date.now() + timeoutMs };
    const onAbort = (): void => call.cancel();
    const call = method(request, new Metadata(), callOptions, (err, response) => {
      signal?.removeEventListener('abort', onAbort);
      // A reply that arrived is kept even if the caller aborted meanwhile: it may hold a claim.
      if (!err) resolve(response as Res);
      else reject(signal?.aborted ? signal.reason : err);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
