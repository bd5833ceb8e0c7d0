import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ActionWithHistory, JsonObject } from '../domain/action.js';
import type { ActionCatalog } from '../domain/catalog.js';
import { NotFoundError } from '../domain/errors.js';
import * as lifecycle from '../domain/lifecycle.js';
import { validateProposal, type ProposalLimits } from '../domain/proposal.js';
import { limitText, requireIntactIdentifier, requireIntInRange, requireJsonWithin, requireListWithin, requireText, requireUuid } from '../domain/validation.js';
import { requireExecutorId, requireLeaseHolder, requireMayRejectAction } from '../domain/roles.js';
import type * as pb from '../gen/actiongate/v1/action_service.js';
import type { ActionStore } from '../store/ActionStore.js';
import { decodePageToken, encodePageToken } from './pageToken.js';
import { parseSequences } from './sequences.js';
import { actionFilterOf } from './actionFilter.js';
import { actionToProto, controlToProto, riskFromProto } from './protoMapping.js';
import type { ServerConfig } from './ServerConfig.js';
import type { Operation } from './Operation.js';
import { waitForClaim } from './waitForClaim.js';
import type { PolicyState } from './policy/PolicyState.js';
import { policyJudge } from './policyJudge.js';
import { policyToProto } from './policy/policyToProto.js';

export interface ActionOperationsDeps {
  readonly store: ActionStore;
  readonly catalog: ActionCatalog;
  readonly config: ServerConfig;
  readonly policy: PolicyState;
  readonly log: Logger;
  /** Open mode (no auth file): callers cannot be told apart. */
  readonly auth: { readonly open: boolean };
}

/** ActionService's unary RPCs, for the gRPC handlers and the JSON API alike. */
export interface ActionOperations {
  readonly propose: Operation<pb.ProposeRequest, pb.ProposeResponse>;
  readonly approve: Operation<pb.ApproveRequest, pb.ApproveResponse>;
  readonly reject: Operation<pb.RejectRequest, pb.RejectResponse>;
  readonly execute: Operation<pb.ExecuteRequest, pb.ExecuteResponse>;
  readonly heartbeat: Operation<pb.HeartbeatRequest, pb.HeartbeatResponse>;
  readonly complete: Operation<pb.CompleteRequest, pb.CompleteResponse>;
  readonly fail: Operation<pb.FailRequest, pb.FailResponse>;
  readonly getAction: Operation<pb.GetActionRequest, pb.GetActionResponse>;
  readonly listActions: Operation<pb.ListActionsRequest, pb.ListActionsResponse>;
  readonly verifyHistory: Operation<pb.VerifyHistoryRequest, pb.VerifyHistoryResponse>;
  readonly getPolicy: Operation<pb.GetPolicyRequest, pb.GetPolicyResponse>;
}

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;
function requireTextList(field: string, values: readonly string[]): string[] {
  return requireListWithin(field, values).map((value, index) => requireText(`${field}[${index}]`, value));
}

/** The step that claims an action, with a fresh lease id for each attempt. */
function claimStep(actor: string, executorId: string, ttlSeconds: number): lifecycle.ActionChangeStep {
  return (current, now, halt) => lifecycle.claim(current, { actor, executorId, leaseId: randomUUID(), ttlMs: ttlSeconds * 1000 }, now, halt);
}

export function createActionOperations(deps: ActionOperationsDeps): ActionOperations {
  const { store, catalog, config, log, policy: policyState } = deps;

  const logTransition = (action: ActionWithHistory, principal: string): void => {
    const event = action.history[action.history.length - 1];
    if (event !== undefined) {
      log.info({ actionId: action.id, from: event.from, to: event.to, actor: principal, sequence: event.sequence }, 'transition');
    }
  };

  const decide = async (actionId: string, principal: string, step: lifecycle.ActionChangeStep) => {
    const action = await store.update(requireUuid('action_id', actionId), step);
    logTransition(action, principal);
    return action;
  };

  // Made once per policy in force, not once per proposal.
  let limits: { readonly policy: PolicyState['current']; readonly limits: ProposalLimits } | null = null;
  const limitsUnder = (policy: PolicyState['current']): ProposalLimits => {
    if (limits?.policy !== policy) {
      limits = {
        policy,
        limits: {
          maxPayloadBytes: config.maxPayloadBytes,
          maxAttempts: config.maxAttempts,
          maxPendingTtlSeconds: config.maxPendingTtlSeconds,
          defaultPendingTtlSeconds: policy.pendingTtlSeconds,
          approvalsRequired: policy.approvalsRequired,
        },
      };
    }
    return limits.limits;
  };

  const executeResponse = (action: ActionWithHistory | null): pb.ExecuteResponse => {
    if (action === null || action.lease === null) return { leaseId: '', attempt: 0 };
    return {
      action: actionToProto(action),
      leaseId: action.lease.leaseId,
      leaseExpiresAt: new Date(action.lease.expiresAt),
      attempt: action.attempt,
    };
  };

  return {
    propose: async (req, ctx) => {
      const policy = policyState.current;
      const now = Date.now();
      const proposal = validateProposal(
        {
          actionType: req.actionType,
          node: req.node,
          service: req.service,
          payload: (req.payload ?? {}) as JsonObject,
          confidence: req.confidence,
          riskLevel: riskFromProto('risk_level', req.riskLevel),
          correlationId: req.correlationId,
          rollbackReference: req.rollbackReference,
          idempotencyKey: req.idempotencyKey,
          ttlSeconds: req.ttlSeconds,
        },
        ctx.actor,
        now,
        catalog,
        limitsUnder(policy),
      );
      const { action, replayed } = await store.create(proposal, policyJudge(policy, catalog, now));
      if (!replayed) logTransition(action, ctx.actor);
      return { action: actionToProto(action), replayed };
    },

    approve: async (req, ctx) => {
      const reason = limitText('reason', req.reason.trim(), 1024);
      // Without an auth file every caller is `anonymous`: people cannot be told apart, so the proposer and four-eyes checks cannot apply.
      const approver = { actor: ctx.actor, identified: !deps.auth.open };
      const approvalTtlMs = policyState.current.approvalTtlSeconds * 1000;
      const action = await decide(req.actionId, ctx.actor, (current, now, halt) => lifecycle.approve(current, approver, reason, halt, now, approvalTtlMs));
      return { action: actionToProto(action) };
    },

    reject: async (req, ctx) => {
      const reason = requireText('reason', req.reason, 1024);
      const action = await decide(req.actionId, ctx.actor, (current, now) => {
        requireMayRejectAction(ctx.principal, current);
        return lifecycle.reject(current, ctx.actor, reason, now);
      });
      return { action: actionToProto(action) };
    },

    execute: async (req, ctx) => {
      const executorId = requireIntactIdentifier('executor_id', requireText('executor_id', req.executorId));
      requireExecutorId(ctx.principal, executorId);
      const ttlSeconds = requireIntInRange('lease_ttl_seconds', req.leaseTtlSeconds, 0, config.maxLeaseTtlSeconds) || config.defaultLeaseTtlSeconds;
      const waitSeconds = requireIntInRange('wait_seconds', req.waitSeconds, 0, config.maxWaitSeconds);
      const filter = { actionTypes: requireTextList('action_types', req.actionTypes), nodes: requireTextList('nodes', req.nodes) };
      const claim = claimStep(ctx.actor, executorId, ttlSeconds);
      if (req.actionId !== '') {
        const action = await decide(req.actionId, ctx.actor, claim);
        return executeResponse(action);
      }
      // Refuse at once while halted, rather than long-polling on something that cannot succeed.
      lifecycle.requireNotHalted(await store.haltState(), 'claiming an action');
      const action = await waitForClaim(store, () => store.claimNext(filter, claim), waitSeconds * 1000, ctx.signal);
      if (action !== null) logTransition(action, ctx.actor);
      return executeResponse(action);
    },

    heartbeat: async (req, ctx) => {
      const leaseId = requireUuid('lease_id', req.leaseId);
      const ttlSeconds = requireIntInRange('lease_ttl_seconds', req.leaseTtlSeconds, 0, config.maxLeaseTtlSeconds);
      const ttlMs = ttlSeconds === 0 ? null : ttlSeconds * 1000;
      const acks = parseSequences('ack_sequences', req.ackSequences);
      if (acks.length > 0) {
        // Acknowledged first: a bad sequence refuses the whole call before the lease moves.
        const held = await store.getAction(requireUuid('action_id', req.actionId));
        if (held !== null) requireLeaseHolder(ctx.principal, held, leaseId);
        if (held?.lease?.leaseId === leaseId) await store.acknowledge(held.lease.executorId, acks);
      }
      // The reply leaves the history out: a long action heartbeats many times, and its history does not change.
      const { history: _history, ...action } = await decide(req.actionId, ctx.actor, (current, now) => {
        requireLeaseHolder(ctx.principal, current, leaseId);
        return lifecycle.heartbeat(current, leaseId, ttlMs, now);
      });
      const lease = action.lease!;
      const halt = await store.haltState();
      return {
        leaseExpiresAt: new Date(lease.expiresAt),
        controlState: controlToProto(action.control),
        action: actionToProto(action),
        halted: halt.halted,
        haltTerminatesRunning: halt.terminateRunning,
        controlSequence: String(action.controlSequence),
      };
    },

    complete: async (req, ctx) => {
      const leaseId = requireUuid('lease_id', req.leaseId);
      const result = (req.result ?? {}) as JsonObject;
      requireJsonWithin('result', result, config.maxPayloadBytes);
      const action = await decide(req.actionId, ctx.actor, (current, now) => {
        requireLeaseHolder(ctx.principal, current, leaseId);
        return lifecycle.complete(current, leaseId, result, now, ctx.actor);
      });
      return { action: actionToProto(action) };
    },

    fail: async (req, ctx) => {
      const leaseId = requireUuid('lease_id', req.leaseId);
      const error = requireText('error', req.error, 4096);
      const action = await decide(req.actionId, ctx.actor, (current, now) => {
        requireLeaseHolder(ctx.principal, current, leaseId);
        return lifecycle.fail(current, leaseId, error, req.retryable, now, ctx.actor);
      });
      return { action: actionToProto(action), willRetry: action.status === 'APPROVED' };
    },

    getAction: async (req) => {
      const actionId = requireUuid('action_id', req.actionId);
      const action = await store.getAction(actionId);
      if (action === null) throw new NotFoundError('action', actionId);
      return { action: actionToProto(action) };
    },

    listActions: async (req) => {
      const pageSize = requireIntInRange('page_size', req.pageSize, 0, MAX_PAGE_SIZE) || DEFAULT_PAGE_SIZE;
      const filter = actionFilterOf(req);
      const beforeId = req.pageToken === '' ? null : decodePageToken(req.pageToken);
      // One extra row tells whether another page follows without a second query.
      const rows = await store.listActions(filter, pageSize + 1, beforeId);
      const page = rows.slice(0, pageSize);
      const nextPageToken = rows.length > pageSize ? encodePageToken(page[page.length - 1]!.id) : '';
      return { actions: page.map(actionToProto), nextPageToken };
    },

    verifyHistory: async () => {
      const check = await store.verifyHistory();
      return {
        ok: check.ok,
        eventsChecked: String(check.eventsChecked),
        firstBadSequence: String(check.firstBadSequence),
        firstBadActionId: check.firstBadActionId,
        problem: check.problem,
      };
    },

    getPolicy: async () => policyToProto(policyState.current, policyState.loadedAt),
  };
}
