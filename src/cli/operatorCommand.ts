import { status } from '@grpc/grpc-js';
import { ActionClient } from '../client/ActionClient.js';
import { connectionOptions } from '../client/connectionOptions.js';
import { CONNECTION_FLAGS, connectionSettings } from '../client/connectionSettings.js';
import { ControlClient } from '../client/ControlClient.js';
import { ActionStatus, RiskLevel } from '../gen/actiongate/v1/action.js';
import * as actionMessages from '../gen/actiongate/v1/action_service.js';
import * as controlMessages from '../gen/actiongate/v1/control_service.js';
import { ConfigError } from '../shared/ConfigError.js';
import { parseAddress } from '../shared/parseAddress.js';
import { parseWholeNumber } from '../shared/parseWholeNumber.js';
import { cliFailure, EXIT } from './cliFailure.js';
import { approvedLine, controlledLine, controlStateText, haltedLine, proposedLine, riskRaisedNote, unhaltedLine } from './operatorOutput.js';
import { parseCommandLine } from './parseCommandLine.js';
import { parseEnum, parseEnumList } from './parseEnum.js';
import { DEFAULT_TIMEOUT_MS, parseTimeout } from './parseTimeout.js';
import { actionCard, actionTable, styleFor } from './renderAction.js';

/** Commands for people on call and for scripts: human output by default, the gRPC JSON mapping with --json. */
export const OPERATOR_COMMANDS = [
  'propose', 'approve', 'reject', 'get', 'list', 'pause', 'resume', 'terminate', 'halt', 'unhalt', 'control-state',
] as const;
export type OperatorCommand = (typeof OPERATOR_COMMANDS)[number];

export function isOperatorCommand(command: string): command is OperatorCommand {
  return (OPERATOR_COMMANDS as readonly string[]).includes(command);
}

const OPTIONS = {
  server: { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
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

type Flag = keyof typeof OPTIONS;
const COMMON_FLAGS: readonly Flag[] = ['server', 'json', 'timeout', ...(Object.keys(CONNECTION_FLAGS) as Flag[])];

/** The flags each command takes besides the common ones; any other is a usage error. */
const COMMAND_FLAGS: Readonly<Record<OperatorCommand, readonly Flag[]>> = {
  propose: ['type', 'node', 'service', 'payload', 'confidence', 'risk', 'correlation-id', 'rollback-reference', 'idempotency-key'],
  approve: ['reason'],
  reject: ['reason'],
  get: [],
  list: ['status', 'type', 'node', 'service', 'page-size', 'page-token'],
  pause: ['reason'],
  resume: ['reason'],
  terminate: ['reason'],
  halt: ['reason', 'terminate-running'],
  unhalt: ['reason'],
  'control-state': [],
};

/** Commands that name one action, and whether the id may be left out. */
const TAKES_ID: Partial<Record<OperatorCommand, 'required' | 'optional'>> = {
  approve: 'required', reject: 'required', get: 'required', pause: 'required', resume: 'required', terminate: 'required', 'control-state': 'optional',
};

type Values = Record<string, unknown>;

function checkFlags(command: OperatorCommand, values: Values): void {
  const allowed = new Set<string>([...COMMON_FLAGS, ...COMMAND_FLAGS[command]]);
  const stray = Object.keys(values).find((flag) => !allowed.has(flag));
  if (stray !== undefined) throw new ConfigError(`${command} does not take --${stray}`);
}

function actionId(command: OperatorCommand, positionals: readonly string[]): string {
  const takes = TAKES_ID[command];
  if (takes === undefined) {
    if (positionals.length > 0) throw new ConfigError(`${command} takes no action id, got "${positionals[0]}"`);
    return '';
  }
  if (positionals.length === 0 && takes === 'optional') return '';
  if (positionals.length === 0) throw new ConfigError(`${command} needs an action id: actiongate ${command} ID`);
  if (positionals.length > 1) throw new ConfigError(`${command} takes one action id, got ${positionals.length}`);
  return positionals[0]!.trim();
}

function required(flag: string, raw: string | undefined): string {
  if (raw === undefined || raw.trim() === '') throw new ConfigError(`--${flag} is required`);
  return raw.trim();
}

function parsePayload(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError('--payload must be a JSON object, e.g. \'{"image":"checkout:1.4.2"}\'', { cause: err });
  }
}

function parseConfidence(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) throw new ConfigError(`--confidence must be a number from 0 to 1, got "${raw}"`);
  return value;
}

/** Where a command writes; stdout's isTTY decides colours. */
export interface CommandOutput {
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
}

/** Runs one operator command against `--server`; resolves with the exit code (see EXIT). */
export async function operatorCommand(command: OperatorCommand, argv: readonly string[], env: NodeJS.ProcessEnv, out: CommandOutput = process): Promise<number> {
  // Until the flags are read, failures (usage errors) are told with the defaults.
  let server = env.ACTIONGATE_SERVER ?? '127.0.0.1:50051';
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  let actions: ActionClient | undefined;
  let control: ControlClient | undefined;
  try {
    const { values: v, positionals } = parseCommandLine(command, { args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    checkFlags(command, v);
    server = v.server ?? server;
    parseAddress('--server', server);
    timeoutMs = parseTimeout(v.timeout);
    const id = actionId(command, positionals);
    const connection = connectionOptions(connectionSettings(v, env));
    const call = { timeoutMs };
    const json = v.json === true;
    const style = styleFor(out.stdout, env);
    const print = (toJSON: () => unknown, human: () => string): void => {
      out.stdout.write(json ? `${JSON.stringify(toJSON(), null, 2)}\n` : human());
    };
    const reason = v.reason ?? '';
    actions = new ActionClient(server, connection);
    control = new ControlClient(server, connection);
    switch (command) {
      case 'propose': {
        const risk = v.risk === undefined ? RiskLevel.RISK_LEVEL_UNSPECIFIED : parseEnum('--risk', v.risk, RiskLevel, 'RISK_LEVEL_');
        const request = {
          actionType: required('type', v.type), node: required('node', v.node), service: required('service', v.service),
          payload: parsePayload(v.payload), confidence: parseConfidence(v.confidence), riskLevel: risk,
          correlationId: v['correlation-id'] ?? '', rollbackReference: v['rollback-reference'] ?? '', idempotencyKey: v['idempotency-key'] ?? '',
        };
        const response = await actions.propose(request, call);
        const note = response.action === undefined ? null : riskRaisedNote(risk, response.action);
        if (note !== null) out.stderr.write(note);
        print(() => actionMessages.ProposeResponse.toJSON(response), () => proposedLine(response));
        break;
      }
      case 'approve': {
        const response = await actions.approve({ actionId: id, reason }, call);
        print(() => actionMessages.ApproveResponse.toJSON(response), () => approvedLine(response.action!));
        break;
      }
      case 'reject': {
        const response = await actions.reject({ actionId: id, reason: required('reason', v.reason) }, call);
        print(() => actionMessages.RejectResponse.toJSON(response), () => `rejected ${id}\n`);
        break;
      }
      case 'get': {
        const response = await actions.getAction({ actionId: id }, call);
        print(() => actionMessages.GetActionResponse.toJSON(response), () => actionCard(response.action!, style));
        break;
      }
      case 'list': {
        const response = await actions.listActions({
          statuses: parseEnumList('--status', v.status, ActionStatus, 'ACTION_STATUS_'),
          node: v.node ?? '', service: v.service ?? '', actionType: v.type ?? '',
          pageSize: v['page-size'] === undefined ? 0 : parseWholeNumber('--page-size', v['page-size'], 1, 1000), pageToken: v['page-token'] ?? '',
        }, call);
        print(() => actionMessages.ListActionsResponse.toJSON(response), () => actionTable(response.actions, style));
        if (!json && response.nextPageToken !== '') out.stderr.write(`more actions: add --page-token ${response.nextPageToken}\n`);
        break;
      }
      case 'pause':
      case 'resume':
      case 'terminate': {
        const response = await control[command](id, reason, call);
        const verb = { pause: 'paused', resume: 'resumed', terminate: 'terminated' }[command];
        const message = { pause: controlMessages.PauseResponse, resume: controlMessages.ResumeResponse, terminate: controlMessages.TerminateResponse }[command];
        print(() => message.toJSON(response), () => controlledLine(verb, response.action!));
        break;
      }
      case 'halt': {
        const terminateRunning = v['terminate-running'] === true;
        const response = await orAlreadyInForce(control.halt(reason, terminateRunning, call), control, true, call);
        print(() => controlMessages.HaltResponse.toJSON(response.response), () => haltedLine(response.response.halt, response.response.affectedActionIds, terminateRunning, response.already));
        break;
      }
      case 'unhalt': {
        const response = await orAlreadyInForce(control.unhalt(reason, call), control, false, call);
        print(() => controlMessages.UnhaltResponse.toJSON(response.response), () => unhaltedLine(response.response.resumedActionIds, response.already));
        break;
      }
      case 'control-state': {
        const response = await control.getControlState(id, call);
        print(() => controlMessages.GetControlStateResponse.toJSON(response), () => controlStateText(response, style));
        break;
      }
    }
    return EXIT.ok;
  } catch (err) {
    const failure = cliFailure(err, { command, server, timeoutMs });
    if (failure === null) throw err;
    out.stderr.write(`actiongate: ${failure.message}\n`);
    return failure.exitCode;
  } finally {
    actions?.close();
    control?.close();
  }
}

interface MaybeAlready<R> {
  readonly response: R;
  /** The halt (or its absence) was already in force: nothing changed. */
  readonly already: boolean;
}

/**
 * Halt while halted, or unhalt while not halted, is what the person wanted
 * already: the server refuses it as FAILED_PRECONDITION, and the command reads
 * the halt state back and reports it as in force, with success.
 */
async function orAlreadyInForce<R extends { halt?: controlMessages.HaltState }>(
  call: Promise<R>, control: ControlClient, halting: boolean, options: { timeoutMs: number },
): Promise<MaybeAlready<R>> {
  try {
    return { response: await call, already: false };
  } catch (err) {
    if ((err as { code?: unknown }).code !== status.FAILED_PRECONDITION) throw err;
    const state = await control.getControlState('', options);
    if (state.halt?.halted !== halting) throw err;
    return { response: { halt: state.halt, affectedActionIds: [], resumedActionIds: [] } as unknown as R, already: true };
  }
}
