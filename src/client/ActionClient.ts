import { Observable } from 'rxjs';
import {
  ActionServiceClient,
  type ApproveRequest, type ApproveResponse, type CompleteRequest, type CompleteResponse, type ExecuteRequest,
  type ExecuteResponse, type FailRequest, type FailResponse, type GetActionRequest, type GetActionResponse,
  type HeartbeatRequest, type HeartbeatResponse, type ListActionsRequest, type ListActionsResponse, type ProposeRequest,
  type ProposeResponse, type RejectRequest, type RejectResponse, type WatchActionsRequest, type WatchActionsResponse,
  type GetPolicyResponse, type VerifyHistoryResponse,
} from '../gen/actiongate/v1/action_service.js';
import { GrpcClient, type ClientOptions } from './GrpcClient.js';
import type { RequestOptions } from './unaryCall.js';

export type { ClientOptions };

/** Promise-based ActionService client; every request message is partial, missing fields take proto defaults. */
export class ActionClient extends GrpcClient<ActionServiceClient> {
  constructor(address: string, options: ClientOptions = {}) {
    super(ActionServiceClient, address, options);
  }

  propose(request: Partial<ProposeRequest>, options?: RequestOptions): Promise<ProposeResponse> {
    return this.unary(this.raw.propose, fill<ProposeRequest>(request, PROPOSE_DEFAULTS), options);
  }

  approve(request: Partial<ApproveRequest>, options?: RequestOptions): Promise<ApproveResponse> {
    return this.unary(this.raw.approve, { actionId: '', reason: '', ...request }, options);
  }

  reject(request: Partial<RejectRequest>, options?: RequestOptions): Promise<RejectResponse> {
    return this.unary(this.raw.reject, { actionId: '', reason: '', ...request }, options);
  }

  execute(request: Partial<ExecuteRequest>, options?: RequestOptions): Promise<ExecuteResponse> {
    const defaults: ExecuteRequest = { executorId: '', actionId: '', actionTypes: [], nodes: [], leaseTtlSeconds: 0, waitSeconds: 0 };
    return this.unary(this.raw.execute, { ...defaults, ...request }, options);
  }

  heartbeat(request: Partial<HeartbeatRequest>, options?: RequestOptions): Promise<HeartbeatResponse> {
    return this.unary(this.raw.heartbeat, { actionId: '', leaseId: '', leaseTtlSeconds: 0, ackSequences: [], ...request }, options);
  }

  complete(request: Partial<CompleteRequest>, options?: RequestOptions): Promise<CompleteResponse> {
    return this.unary(this.raw.complete, { actionId: '', leaseId: '', ...request }, options);
  }

  fail(request: Partial<FailRequest>, options?: RequestOptions): Promise<FailResponse> {
    return this.unary(this.raw.fail, { actionId: '', leaseId: '', error: '', retryable: false, ...request }, options);
  }

  getAction(request: Partial<GetActionRequest>, options?: RequestOptions): Promise<GetActionResponse> {
    return this.unary(this.raw.getAction, { actionId: '', ...request }, options);
  }

  listActions(request: Partial<ListActionsRequest>, options?: RequestOptions): Promise<ListActionsResponse> {
    const defaults: ListActionsRequest = { statuses: [], node: '', service: '', actionType: '', pageSize: 0, pageToken: '' };
    return this.unary(this.raw.listActions, { ...defaults, ...request }, options);
  }

  /** Checks the hash chain of the whole history on the server's store. */
  verifyHistory(options?: RequestOptions): Promise<VerifyHistoryResponse> {
    return this.unary(this.raw.verifyHistory, {}, options);
  }

  /** The policy in force. */
  getPolicy(options?: RequestOptions): Promise<GetPolicyResponse> {
    return this.unary(this.raw.getPolicy, {}, options);
  }

  /** History events as an Observable; unsubscribing cancels the stream. */
  watchActions(request: Partial<WatchActionsRequest>): Observable<WatchActionsResponse> {
    const defaults: WatchActionsRequest = { afterSequence: '0', statuses: [], node: '', service: '', actionType: '' };
    return new Observable<WatchActionsResponse>((subscriber) => {
      const stream = this.raw.watchActions({ ...defaults, ...request });
      stream.on('data', (message: WatchActionsResponse) => subscriber.next(message));
      stream.on('error', (err) => subscriber.error(err));
      stream.on('end', () => subscriber.complete());
      return () => stream.cancel();
    });
  }
}

const PROPOSE_DEFAULTS: ProposeRequest = {
  actionType: '', node: '', service: '', confidence: 0, riskLevel: 0, correlationId: '', rollbackReference: '',
  idempotencyKey: '', ttlSeconds: 0,
};

function fill<T>(request: Partial<T>, defaults: T): T {
  return { ...defaults, ...request };
}
