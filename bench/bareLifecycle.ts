import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ActionStatus } from '../src/gen/actiongate/v1/action.js';
import {
  ApproveRequest, CompleteRequest, CompleteResponse, ExecuteRequest, ExecuteResponse, ProposeRequest, ProposeResponse,
} from '../src/gen/actiongate/v1/action_service.js';
import { benchFile, REPO } from './benchPaths.js';
import { freePort, startChildServer, type ChildServer } from './childServer.js';
import { RawClientPool } from './clientPool.js';
import { replyPath } from './echoServer.js';
import type { Operation } from './loadGenerator.js';
import { PROPOSAL, RESULT } from './lifecycleWorkload.js';

/** One step of a lifecycle as it crossed the wire: the encoded request and the encoded response. */
export interface WireStep {
  readonly rpc: 'Propose' | 'Approve' | 'Execute' | 'Complete';
  readonly request: Buffer;
  readonly reply: Buffer;
}

const SERVICE = '/actiongate.v1.ActionService';
const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Runs one real lifecycle against actiongate with the requests lifecycleOperation sends, and keeps
 * every request and response as bytes: what a bare server must carry to cost what the transport costs.
 */
export async function captureLifecycle(address: string, deadlineMs: number): Promise<WireStep[]> {
  const raw = new RawClientPool(address, 1, deadlineMs);
  try {
    const step = async (rpc: WireStep['rpc'], request: Uint8Array): Promise<WireStep> => {
      const bytes = toBuffer(request);
      return { rpc, request: bytes, reply: await raw.call(`${SERVICE}/${rpc}`, bytes) };
    };
    const propose = await step('Propose', ProposeRequest.encode({ ...PROPOSAL, correlationId: 'bench-0' }).finish());
    const actionId = ProposeResponse.decode(propose.reply).action!.actionId;
    const approve = await step('Approve', ApproveRequest.encode({ actionId, reason: 'benchmark' }).finish());
    const execute = await step('Execute', ExecuteRequest.encode({
      executorId: 'bench-executor-0', actionId, actionTypes: [], nodes: [], leaseTtlSeconds: 0, waitSeconds: 0,
    }).finish());
    const { leaseId } = ExecuteResponse.decode(execute.reply);
    const complete = await step('Complete', CompleteRequest.encode({ actionId, leaseId, result: RESULT }).finish());
    if (CompleteResponse.decode(complete.reply).action?.status !== ActionStatus.ACTION_STATUS_COMPLETED) {
      throw new Error(`the lifecycle captured for the bare server did not complete action ${actionId}`);
    }
    return [propose, approve, execute, complete];
  } finally {
    raw.close();
  }
}

/** A bare grpc-js server (bench/echoServer.ts) that answers step i's path with step i's real response bytes. */
export async function startBareLifecycleServer(steps: readonly WireStep[]): Promise<{ server: ChildServer; command: string }> {
  const scratch = mkdtempSync(join(os.tmpdir(), 'actiongate-bench-bare-'));
  try {
    const files = steps.map((step, i) => {
      const file = join(scratch, `${i}-${step.rpc}.bin`);
      writeFileSync(file, step.reply);
      return file;
    });
    const address = `127.0.0.1:${await freePort()}`;
    const args = [benchFile('echoServer.js'), '--listen', address, ...files.flatMap((file) => ['--reply-file', file])];
    const shown = [benchFile('echoServer.js'), '--listen', address, ...steps.flatMap((step) => ['--reply-file', `<${step.rpc} response>`])];
    // The server reads its replies at start: the files can go once it listens.
    return { server: await startChildServer('bare', args, address, REPO), command: `node ${shown.join(' ')}` };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * A "bare lifecycle": the four calls of a lifecycle, in sequence, to the bare server, each
 * sending the step's real request bytes and getting its real response bytes back. No
 * decoding at either end, so it costs what grpc-js costs and nothing else.
 */
export function bareLifecycleOperation(pool: RawClientPool, steps: readonly WireStep[]): Operation {
  return async (_worker, timed) => {
    for (const [i, step] of steps.entries()) await timed(step.rpc, () => pool.call(replyPath(i), step.request));
  };
}
