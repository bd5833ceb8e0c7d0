import { ControlState } from '../gen/actiongate/v1/action.js';
import type { ActionHold } from '../client/LocalControlState.js';

/** A heartbeat's control state as LocalControlState takes it; null for a value this executor does not know. */
export function controlFromProto(state: ControlState): ActionHold['control'] | null {
  switch (state) {
    case ControlState.CONTROL_STATE_NONE:
      return 'NONE';
    case ControlState.CONTROL_STATE_PAUSED:
      return 'PAUSED';
    case ControlState.CONTROL_STATE_TERMINATED:
      return 'TERMINATED';
    default:
      return null;
  }
}
