import { parseArgs } from 'node:util';
import type { ServiceError } from '@grpc/grpc-js';
import { ActionClient } from '../client/ActionClient.js';
import { connectionOptions } from '../client/connectionOptions.js';
import { CONNECTION_FLAGS, connectionSettings } from '../client/connectionSettings.js';
import { ControlClient } from '../client/ControlClient.js';
import { actionStatusFromJSON, riskLevelFromJSON } from '../gen/actiongate/v1/action.js';
import * as actionMessages from '../gen/actiongate/v1/action_service.js';
import * as controlMessages from '../gen/actiongate/v1/control_service.js';
import { ConfigError } from '../shared/ConfigError.js';
import { parseWholeNumber } from '../shared/parseWholeNumber.js';

/** Commands for operators and scripts; each prints the response as proto JSON, as grpcurl would. */
export const OPERATOR_COMMANDS = [
  'propose', 'approve', 'reject', 'get', 'list', 'pause', 'resume', 'terminate', 'halt', 'unhalt', 'control-state',
] as const;
export type OperatorCommand = (typeof OPERATOR_COMMANDS)[number];

export function isOperatorCommand(command: string): command is OperatorCommand {
  return (OPERATOR_COMMANDS as readonly string[]).includes(command);
}

const OPTIONS = {
  server: { type: 'string' },
  reason: { type: 'string' },
  type: { type: 'string' },
  node: { type: 'string' },
  service: { type: 'string' },
  payload: { type: 'string' },
  confidence: { type: 'string' },
  risk: { type: 'string' },
  'correlation-id': { type: 'string' },
  'rollback-reference': { type: 'string' },
  'idempotency-key': { type: 'string' },
  status: { type: 'string', multiple: true },
  'page-size': { type: 'string' },
  'page-token': { type: 'string' },
  'terminate-running': { type: 'boolean' },
  ...CONNECTION_FLAGS,
} as const;

function oneId(command: string, positionals: string[], optional = false): string {
  if (positionals.length === 0 && optional) return '';
  if (positionals.length !== 1) throw new ConfigError(`${command} takes one action id`);
  return positionals[0]!;
}

function parsePayload(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError('--payload must be a JSON object', { cause: err });
  }
}

function wholeNumber(flag: string, raw: string | undefined): number {
  return raw === undefined ? 0 : parseWholeNumber(flag, raw, 0);
}

/** Runs one operator command against `--server`; resolves with the exit code. */
export async function operatorCommand(command: OperatorCommand, argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  const server = v.server ?? env.ACTIONGATE_SERVER ?? '127.0.0.1:50051';
  const connection = connectionOptions(connectionSettings(v, env));
  const actions = new ActionClient(server, connection);
  const control = new ControlClient(server, connection);
  const reason = v.reason ?? '';
  const print = (json: unknown): void => void process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  try {
    switch (command) {
      case 'propose':
        print(actionMessages.ProposeResponse.toJSON(await actions.propose({
          actionType: v.type ?? '', node: v.node ?? '', service: v.service ?? '', payload: parsePayload(v.payload),
          confidence: v.confidence === undefined ? 0 : Number(v.confidence),
          riskLevel: v.risk === undefined ? 0 : riskLevelFromJSON(`RISK_LEVEL_${v.risk.toUpperCase()}`),
          correlationId: v['correlation-id'] ?? '', rollbackReference: v['rollback-reference'] ?? '', idempotencyKey: v['idempotency-key'] ?? '',
        })));
        break;
      case 'approve':
        print(actionMessages.ApproveResponse.toJSON(await actions.approve({ actionId: oneId(command, positionals), reason })));
        break;
      case 'reject':
        print(actionMessages.RejectResponse.toJSON(await actions.reject({ actionId: oneId(command, positionals), reason })));
        break;
      case 'get':
        print(actionMessages.GetActionResponse.toJSON(await actions.getAction({ actionId: oneId(command, positionals) })));
        break;
      case 'list':
        print(actionMessages.ListActionsResponse.toJSON(await actions.listActions({
          statuses: (v.status ?? []).map((s) => actionStatusFromJSON(`ACTION_STATUS_${s.toUpperCase()}`)),
          node: v.node ?? '', service: v.service ?? '', actionType: v.type ?? '',
          pageSize: wholeNumber('--page-size', v['page-size']), pageToken: v['page-token'] ?? '',
        })));
        break;
      case 'pause':
        print(controlMessages.PauseResponse.toJSON(await control.pause(oneId(command, positionals), reason)));
        break;
      case 'resume':
        print(controlMessages.ResumeResponse.toJSON(await control.resume(oneId(command, positionals), reason)));
        break;
      case 'terminate':
        print(controlMessages.TerminateResponse.toJSON(await control.terminate(oneId(command, positionals), reason)));
        break;
      case 'halt':
        print(controlMessages.HaltResponse.toJSON(await control.halt(reason, v['terminate-running'] ?? false)));
        break;
      case 'unhalt':
        print(controlMessages.UnhaltResponse.toJSON(await control.unhalt(reason)));
        break;
      case 'control-state':
        print(controlMessages.GetControlStateResponse.toJSON(await control.getControlState(oneId(command, positionals, true))));
        break;
    }
    return 0;
  } catch (err) {
    const grpcError = err as Partial<ServiceError>;
    if (typeof grpcError.code !== 'number') throw err;
    process.stderr.write(`actiongate ${command}: ${grpcError.details ?? grpcError.message} (gRPC status ${grpcError.code})\n`);
    return 1;
  } finally {
    actions.close();
    control.close();
  }
}
