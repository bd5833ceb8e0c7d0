import type { ControlHub } from '../control/ControlHub.js';
import type { Rpc } from '../domain/roles.js';
import type { ControlServiceServer } from '../gen/actiongate/v1/control_service.js';
import type { ActionStore } from '../store/ActionStore.js';
import type { ControlOperations } from './ControlOperations.js';
import type { Operation } from './Operation.js';
import { subscribeHandler } from './subscribeHandler.js';
import { unaryHandler, type HandlerEnv } from './unaryHandler.js';
import { watchSignalsHandler } from './watchSignals.js';

export interface ControlServiceDeps extends HandlerEnv {
  readonly store: ActionStore;
  readonly hub: ControlHub;
  readonly operations: ControlOperations;
}

/** ControlService over gRPC: Subscribe, and each unary RPC as its operation behind the gRPC adapter. */
export function createControlServiceHandlers(deps: ControlServiceDeps): ControlServiceServer {
  const { store, hub, log, streams, operations: ops } = deps;
  const unary = <Req, Res>(method: Rpc, operation: Operation<Req, Res>) => unaryHandler(method, deps, operation);
  return {
    subscribe: subscribeHandler({ store, hub, log, streams }),
    watchSignals: watchSignalsHandler({ store, log, streams }),
    pause: unary('Pause', ops.pause),
    resume: unary('Resume', ops.resume),
    terminate: unary('Terminate', ops.terminate),
    halt: unary('Halt', ops.halt),
    unhalt: unary('Unhalt', ops.unhalt),
    getControlState: unary('GetControlState', ops.getControlState),
    ack: unary('Ack', ops.ack),
  };
}
