import { limitText } from '../domain/validation.js';
import type { ActionFilter } from '../store/ActionStore.js';
import { statusesFromProto } from './protoMapping.js';

/** The filter fields ListActions and WatchActions share, as their requests carry them. */
export interface FilterFields {
  readonly statuses: readonly number[];
  readonly node: string;
  readonly service: string;
  readonly actionType: string;
}

export function actionFilterOf(req: FilterFields): ActionFilter {
  return {
    statuses: statusesFromProto('statuses', req.statuses),
    node: limitText('node', req.node),
    service: limitText('service', req.service),
    actionType: limitText('action_type', req.actionType),
  };
}
