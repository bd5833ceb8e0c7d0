import { Action } from '../gen/actiongate/v1/action.js';

/**
 * The action as handlers receive it (command stdin, HTTP body): the proto3
 * JSON form of actiongate.v1.Action, without its history.
 */
export function actionJson(action: Action): string {
  return JSON.stringify(Action.toJSON({ ...action, history: [] }));
}
