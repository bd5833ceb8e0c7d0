import type { ControlHub } from '../control/ControlHub.js';
import type { ActionControlMove } from '../domain/control.js';
import { NotFoundError } from '../domain/errors.js';
import { limitText, requireIntactIdentifier, requireText, requireUuid } from '../domain/validation.js';
import { requireExecutorId, type Rpc } from '../domain/roles.js';
import type { ControlServiceServer } from '../gen/actiongate/v1/control_service.js';
import type { ActionStore } from '../store/ActionStore.js';
import type { CallContext } from './callContext.js';
import { acknowledgementToProto, haltToProto, signalToProto } from './controlMapping.js';
import { actionToProto, controlToProto, statusToProto } from './protoMapping.js';
import { parseSequences } from './sequences.js';
import { subscribeHandler } from './subscribeHandler.js';
import { unaryHandler, type HandlerEnv } from './unaryHandler.js';
import { watchSignalsHandler } from './watchSignals.js';
import { PACKAGE_VERSION } from '../shared/packageVersion.js';

export interface ControlServiceDeps extends HandlerEnv {
  readonly store: ActionStore;
  readonly hub: ControlHub;
}

interface ActionControlRequest {
  actionId: string;
  reason: string;
}

export function createControlServiceHandlers(deps: ControlServiceDeps): ControlServiceServer {
  const { store, hub, log, streams } = deps;
  const unary = <Req, Res>(method: Rpc, handle: (request: Req, context: CallContext) => Promise<Res>) =>
    unaryHandler(method, deps, handle);

  const controlAction = (method: Rpc, move: ActionControlMove) =>
    unary(method, async (req: ActionControlRequest, ctx) => {
      const actionId = requireUuid('action_id', req.actionId);
      const reason = limitText('reason', req.reason.trim(), 1024);
      const { action, signal } = await store.control(actionId, move, ctx.actor, reason);
      log.info({ actionId, signal: signal.signal, sequence: signal.sequence, executorId: signal.executorId, actor: ctx.actor }, 'control signal');
      return { action: actionToProto(action), signal: signalToProto(signal) };
    });

  return {
    subscribe: subscribeHandler({ store, hub, log, streams }),
    watchSignals: watchSignalsHandler({ store, log, streams }),
    pause: controlAction('Pause', 'pause'),
    resume: controlAction('Resume', 'resume'),
    terminate: controlAction('Terminate', 'terminate'),

    halt: unary('Halt', async (req, ctx) => {
      const reason = limitText('reason', req.reason.trim(), 1024);
      const { halt, affected } = await store.halt(ctx.actor, reason, req.terminateRunning);
      log.warn({ actor: ctx.actor, reason, terminateRunning: req.terminateRunning, affected: affected.length }, 'halted');
      return { halt: haltToProto(halt), affectedActionIds: affected };
    }),

    unhalt: unary('Unhalt', async (req, ctx) => {
      const reason = limitText('reason', req.reason.trim(), 1024);
      const { halt, resumed } = await store.unhalt(ctx.actor, reason);
      log.warn({ actor: ctx.actor, reason, resumed: resumed.length }, 'unhalted');
      return { halt: haltToProto(halt), resumedActionIds: resumed };
    }),

    getControlState: unary('GetControlState', async (req) => {
      const halt = await store.haltState();
      const haltAcks = halt.signal === null ? [] : await store.acknowledgements([halt.signal.sequence]);
      const response = { halt: haltToProto(halt, haltAcks), subscribedExecutors: hub.subscribedExecutors(), serverVersion: PACKAGE_VERSION };
      if (req.actionId === '') return response;
      const actionId = requireUuid('action_id', req.actionId);
      const action = await store.getAction(actionId);
      if (action === null) throw new NotFoundError('action', actionId);
      const signals = await store.signalsFor(actionId);
      const acks = await store.acknowledgements(signals.map((s) => s.sequence));
      return {
        ...response,
        action: {
          actionId,
          controlState: controlToProto(action.control),
          status: statusToProto(action.status),
          executorId: action.lease?.executorId ?? '',
          pausedByHalt: action.pausedByHalt,
          signals: signals.map((s) => signalToProto(s)),
          acknowledgements: acks.map(acknowledgementToProto),
        },
      };
    }),

    ack: unary('Ack', async (req, ctx) => {
      const executorId = requireIntactIdentifier('executor_id', requireText('executor_id', req.executorId));
      requireExecutorId(ctx.principal, executorId);
      const sequences = parseSequences('sequences', req.sequences);
      const { recorded, refused } = await store.acknowledge(executorId, sequences);
      return { recorded, refused: refused.map((r) => ({ sequence: String(r.sequence), reason: r.reason })) };
    }),
  };
}
