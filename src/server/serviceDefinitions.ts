import * as actions from '../gen/actiongate/v1/action_service.js';
import * as control from '../gen/actiongate/v1/control_service.js';
import { refusingTooDeep } from './depthLimitedDecoding.js';
import { encodeWithSharedWriter, withSharedWriterResponses } from './oneWriterEncoding.js';

const { ActionServiceService } = actions;
const { ControlServiceService } = control;

/**
 * ActionService as generated, with the two requests that carry a Struct
 * decoded under the depth rule, and replies encoded with the shared writer.
 */
export const ACTION_SERVICE_DEFINITION = withSharedWriterResponses(
  {
    ...ActionServiceService,
    propose: { ...ActionServiceService.propose, requestDeserialize: refusingTooDeep(ActionServiceService.propose.requestDeserialize, 'payload') },
    complete: { ...ActionServiceService.complete, requestDeserialize: refusingTooDeep(ActionServiceService.complete.requestDeserialize, 'result') },
  } satisfies typeof ActionServiceService,
  {
    propose: actions.ProposeResponse,
    approve: actions.ApproveResponse,
    reject: actions.RejectResponse,
    execute: actions.ExecuteResponse,
    heartbeat: actions.HeartbeatResponse,
    complete: actions.CompleteResponse,
    fail: actions.FailResponse,
    getAction: actions.GetActionResponse,
    listActions: actions.ListActionsResponse,
    watchActions: actions.WatchActionsResponse,
    verifyHistory: actions.VerifyHistoryResponse,
    getPolicy: actions.GetPolicyResponse,
  },
);

const controlService = withSharedWriterResponses(ControlServiceService, {
  subscribe: control.SubscribeResponse,
  pause: control.PauseResponse,
  resume: control.ResumeResponse,
  terminate: control.TerminateResponse,
  halt: control.HaltResponse,
  unhalt: control.UnhaltResponse,
  getControlState: control.GetControlStateResponse,
  ack: control.AckResponse,
  watchSignals: control.WatchSignalsResponse,
});

/**
 * ControlService with replies encoded with the shared writer, except that
 * Subscribe passes through messages already encoded (see liveSignalBytes),
 * so one broadcast signal is encoded once for all its streams.
 */
export const CONTROL_SERVICE_DEFINITION = {
  ...controlService,
  subscribe: {
    ...controlService.subscribe,
    responseSerialize: (value: control.SubscribeResponse | Buffer): Buffer =>
      Buffer.isBuffer(value) ? value : encodeWithSharedWriter(control.SubscribeResponse, value),
  },
} as typeof ControlServiceService;
