import { ActionServiceService } from '../gen/actiongate/v1/action_service.js';
import * as replies from './wire/actionReplies.js';

/**
 * ActionService as generated, except that replies carrying actions are encoded by
 * src/server/wire: same bytes, a fraction of the generated encoders' allocations
 * (they were the largest cost of a Propose after grpc-js itself).
 */
export const ACTION_SERVICE_DEFINITION = {
  ...ActionServiceService,
  propose: { ...ActionServiceService.propose, responseSerialize: replies.encodeProposeResponse },
  approve: { ...ActionServiceService.approve, responseSerialize: replies.encodeActionReply },
  reject: { ...ActionServiceService.reject, responseSerialize: replies.encodeActionReply },
  execute: { ...ActionServiceService.execute, responseSerialize: replies.encodeExecuteResponse },
  heartbeat: { ...ActionServiceService.heartbeat, responseSerialize: replies.encodeHeartbeatResponse },
  complete: { ...ActionServiceService.complete, responseSerialize: replies.encodeActionReply },
  fail: { ...ActionServiceService.fail, responseSerialize: replies.encodeFailResponse },
  getAction: { ...ActionServiceService.getAction, responseSerialize: replies.encodeActionReply },
  listActions: { ...ActionServiceService.listActions, responseSerialize: replies.encodeListActionsResponse },
  watchActions: { ...ActionServiceService.watchActions, responseSerialize: replies.encodeWatchActionsResponse },
} satisfies typeof ActionServiceService;
