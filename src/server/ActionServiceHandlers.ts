import type { Rpc } from '../domain/roles.js';
import type { ActionServiceServer } from '../gen/actiongate/v1/action_service.js';
import type { ActionStore } from '../store/ActionStore.js';
import type { ActionOperations } from './ActionOperations.js';
import type { Operation } from './Operation.js';
import { unaryHandler, type HandlerEnv } from './unaryHandler.js';
import { watchActionsHandler } from './watchActions.js';

export interface ActionServiceDeps extends HandlerEnv {
  readonly store: ActionStore;
  readonly operations: ActionOperations;
}

/** ActionService over gRPC: each unary RPC is its operation behind the gRPC adapter. */
export function createActionServiceHandlers(deps: ActionServiceDeps): ActionServiceServer {
  const ops = deps.operations;
  const unary = <Req, Res>(method: Rpc, operation: Operation<Req, Res>) => unaryHandler(method, deps, operation);
  return {
    propose: unary('Propose', ops.propose),
    approve: unary('Approve', ops.approve),
    reject: unary('Reject', ops.reject),
    execute: unary('Execute', ops.execute),
    heartbeat: unary('Heartbeat', ops.heartbeat),
    complete: unary('Complete', ops.complete),
    fail: unary('Fail', ops.fail),
    getAction: unary('GetAction', ops.getAction),
    listActions: unary('ListActions', ops.listActions),
    watchActions: watchActionsHandler(deps),
    verifyHistory: unary('VerifyHistory', ops.verifyHistory),
    getPolicy: unary('GetPolicy', ops.getPolicy),
  };
}
