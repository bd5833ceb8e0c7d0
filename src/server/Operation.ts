import type { CallContext } from './callContext.js';

/**
 * One RPC's work, whatever transport carried it: validation, the store call and
 * the mapping to its response message. The adapter around it (gRPC or HTTP) has
 * already authenticated the caller and checked its role.
 */
export type Operation<Req, Res> = (request: Req, context: CallContext) => Promise<Res>;
