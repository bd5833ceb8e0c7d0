import { credentials } from '@grpc/grpc-js';
import {
  ControlServiceClient,
  type AckResponse, type GetControlStateResponse, type HaltResponse, type PauseResponse, type ResumeResponse,
  type SubscribeResponse, type TerminateResponse, type UnhaltResponse,
} from '../gen/actiongate/v1/control_service.js';
import type { ClientOptions } from './ActionClient.js';
import { unaryCall, type RequestOptions, type UnaryMethod } from './unaryCall.js';

/** Promise-based ControlService client. Subscribe is left raw: ControlSubscriber owns the stream's life. */
export class ControlClient {
  readonly raw: ControlServiceClient;

  constructor(address: string, options: ClientOptions = {}) {
    this.raw = new ControlServiceClient(address, options.credentials ?? credentials.createInsecure(), options.channelOptions);
  }

  private unary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options?: RequestOptions): Promise<Res> {
    return unaryCall(method.bind(this.raw) as UnaryMethod<Req, Res>, request, options);
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

  close(): void {
    this.raw.close();
  }
}

export type { SubscribeResponse };
