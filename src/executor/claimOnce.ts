import { Metadata, type ServiceError } from '@grpc/grpc-js';
import type { ActionClient } from '../client/ActionClient.js';
import type { ExecuteRequest, ExecuteResponse } from '../gen/actiongate/v1/action_service.js';

/**
 * One Execute long poll that `signal` cancels. Unlike the SDK's unary calls,
 * a claim the server made before the cancel took effect is still returned:
 * dropping it would strand the action as RUNNING until its lease expired.
 */
export function claimOnce(actions: ActionClient, request: ExecuteRequest, signal: AbortSignal, timeoutMs: number): Promise<ExecuteResponse> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => call.cancel();
    const call = actions.raw.execute(request, new Metadata(), { deadline: Date.now() + timeoutMs }, (err: ServiceError | null, response?: ExecuteResponse) => {
      signal.removeEventListener('abort', onAbort);
      if (response?.action !== undefined) resolve(response);
      else if (signal.aborted) reject(signal.reason);
      else if (err) reject(err);
      else resolve(response ?? { leaseId: '', attempt: 0 });
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
