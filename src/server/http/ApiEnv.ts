import type { ActionStore } from '../../store/ActionStore.js';
import type { ActionOperations } from '../ActionOperations.js';
import type { AuthEnv } from '../authenticateCall.js';
import type { ControlOperations } from '../ControlOperations.js';
import type { ServerConfig } from '../ServerConfig.js';

/** What the JSON API needs from the server around it: the same auth, store and operations as gRPC. */
export interface ApiEnv extends AuthEnv {
  /** Aborts when the server starts shutting down. */
  readonly shutdown: AbortSignal;
  readonly config: ServerConfig;
  readonly store: ActionStore;
  readonly operations: { readonly actions: ActionOperations; readonly control: ControlOperations };
}
