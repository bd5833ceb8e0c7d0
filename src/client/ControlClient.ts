import {
  ControlServiceClient,
  type AckResponse, type GetControlStateResponse, type HaltResponse, type PauseResponse, type ResumeResponse,
  type SubscribeResponse, type TerminateResponse, type UnhaltResponse,
} from '../gen/actiongate/v1/control_service.js';
import { GrpcClient, type ClientOptions } from './GrpcClient.js';
import type { RequestOptions } from './unaryCall.js';

/** Promise-based ControlService client. Subscribe is left raw: ControlSubscriber owns the stream's life. */
export class ControlClient extends GrpcClient<ControlServiceClient> {
  constructor(address: string, options: ClientOptions = {}) {
    super(ControlServiceClient, address, options);
  }

  pause(actionId: string, reason = '', options?: RequestOptions): Promise<PauseResponse> {
    return this.unary(this.raw.pause, { actionId, reason }, options);
  }

  resume(actionId: string, reason = '', options?: RequestOptions): Promise<ResumeResponse> {
    return this.unary(this.raw.resume, { actionId, reason }, options);
  }

  terminate(actionId: string, reason = '', options?: RequestOptions): Promise<TerminateResponse> {
    return this.unary(this.raw.terminate, { actionId, reason }, options);
  }

  halt(reason = '', terminateRunning = false, options?: RequestOptions): Promise<HaltResponse> {
    return this.unary(this.raw.halt, { reason, terminateRunning }, options);
  }

  unhalt(reason = '', options?: RequestOptions): Promise<UnhaltResponse> {
    return this.unary(this.raw.unhalt, { reason }, options);
  }

  getControlState(actionId = '', options?: RequestOptions): Promise<GetControlStateResponse> {
    return this.unary(this.raw.getControlState, { actionId }, options);
  }

  ack(executorId: string, sequences: readonly string[], options?: RequestOptions): Promise<AckResponse> {
    return this.unary(this.raw.ack, { executorId, sequences: [...sequences] }, options);
  }

  /** The raw server stream; the caller must cancel it. */
  subscribe(executorId: string) {
    return this.raw.subscribe({ executorId });
  }
}

export type { SubscribeResponse };
