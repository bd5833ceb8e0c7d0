import { ActionStatus, ControlState, DecisionKind, RiskLevel, type Action, type HistoryEvent } from '../gen/actiongate/v1/action.js';
import { Signal, type ControlSignal } from '../gen/actiongate/v1/control_service.js';
import { clip, printable } from './printable.js';

/** Colours for a terminal: only when stdout is one and NO_COLOR is unset (https://no-color.org). */
export interface Style {
  readonly colour: boolean;
}

export function styleFor(stream: { readonly isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): Style {
  return { colour: stream.isTTY === true && (env.NO_COLOR ?? '') === '' };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const;

function paint(style: Style, colour: keyof typeof CODES, text: string): string {
  return style.colour ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

/** The generated enum's name without its prefix: ACTION_STATUS_PENDING is PENDING. */
export function shortName(values: Record<number, string>, value: number, prefix: string): string {
  return (values[value] ?? String(value)).replace(prefix, '');
}

export const statusName = (s: ActionStatus): string => shortName(ActionStatus, s, 'ACTION_STATUS_');
export const riskName = (r: RiskLevel): string => shortName(RiskLevel, r, 'RISK_LEVEL_');

function statusColour(s: ActionStatus): keyof typeof CODES {
  switch (s) {
    case ActionStatus.ACTION_STATUS_PENDING: return 'yellow';
    case ActionStatus.ACTION_STATUS_APPROVED:
    case ActionStatus.ACTION_STATUS_RUNNING: return 'blue';
    case ActionStatus.ACTION_STATUS_COMPLETED: return 'green';
    case ActionStatus.ACTION_STATUS_FAILED:
    case ActionStatus.ACTION_STATUS_TERMINATED: return 'red';
    default: return 'dim';
  }
}

function styledStatus(style: Style, s: ActionStatus): string {
  return paint(style, statusColour(s), statusName(s));
}

function styledRisk(style: Style, r: RiskLevel): string {
  const name = riskName(r);
  return r === RiskLevel.RISK_LEVEL_DANGEROUS ? paint(style, 'red', name) : r === RiskLevel.RISK_LEVEL_GUARDED ? paint(style, 'yellow', name) : name;
}

/** An age as kubectl prints it: 42s, 5m, 3h, 2d. */
export function age(since: Date | undefined, now: number): string {
  if (since === undefined) return '-';
  const s = Math.max(0, Math.floor((now - since.getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** Colour codes take no room on the screen. */
const ESCAPES = /\u001b\[[0-9;]*m/g;

function visibleLength(text: string): number {
  return text.replace(ESCAPES, '').length;
}

/** Text padded to `width` visible characters. */
function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}

/** Rows under a header, each column as wide as its widest cell, two spaces apart; no trailing spaces. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], style: Style): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => visibleLength(row[i] ?? ''))));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, widths[i]!))).join('  ');
  return [paint(style, 'bold', line(header)), ...rows.map(line)].map((l) => l.trimEnd()).join('\n') + '\n';
}

/** The widest a TYPE or NODE/SERVICE cell of `list` gets: one long name must not push every row off the screen. */
export const MAX_CELL = 48;

/** A table cell from the server: printable, and at most MAX_CELL characters (`get` shows it whole). */
function cell(text: string): string {
  return clip(printable(text), MAX_CELL);
}

/** `list`: one line per action (id, type, node/service, risk, status, age). */
export function actionTable(actions: readonly Action[], style: Style, now = Date.now()): string {
  if (actions.length === 0) return 'No actions match.\n';
  return table(
    ['ID', 'TYPE', 'NODE/SERVICE', 'RISK', 'STATUS', 'AGE'],
    actions.map((a) => [printable(a.actionId), cell(a.actionType), cell(`${a.node}/${a.service}`), styledRisk(style, a.riskLevel), styledStatus(style, a.status), age(a.createdAt, now)]),
    style,
  );
}

function iso(at: Date | undefined): string {
  return at === undefined ? '-' : at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * One history event as a line: when, the move, who, why. `withTarget` adds
 * the action and where it runs, for lines that stand alone (`watch`).
 */
export function eventLine(event: HistoryEvent, style: Style, withTarget = false): string {
  const from = event.from === ActionStatus.ACTION_STATUS_UNSPECIFIED ? 'proposed' : statusName(event.from);
  const reason = event.reason === '' ? '' : `  ${paint(style, 'dim', `"${printable(event.reason)}"`)}`;
  const target = withTarget ? `  ${printable(`${event.actionId}  ${event.actionType} ${event.node}/${event.service}`)}` : '';
  return `${iso(event.at)}${target}  ${from} -> ${styledStatus(style, event.to)}  by ${printable(event.actor)}${reason}`;
}

/** One control signal as a line: when, which, for what, who, why. */
export function signalLine(signal: ControlSignal, style: Style): string {
  const name = shortName(Signal, signal.signal, 'SIGNAL_');
  const target = signal.actionId === '' ? 'everything' : `action ${printable(signal.actionId)}`;
  const reason = signal.reason === '' ? '' : `  ${paint(style, 'dim', `"${printable(signal.reason)}"`)}`;
  return `${iso(signal.issuedAt)}  ${paint(style, 'bold', name)}${signal.terminateRunning ? ' (terminate running)' : ''} ${target}  by ${printable(signal.issuedBy)}${reason}`;
}

/** `get`: the action as a card, then its history, oldest first. */
export function actionCard(a: Action, style: Style, now = Date.now()): string {
  const rows: [string, string][] = [
    ['Action', paint(style, 'bold', printable(a.actionId))],
    ['Type', printable(a.actionType)],
    ['Target', printable(`${a.node}/${a.service}`)],
    ['Status', styledStatus(style, a.status) + (a.controlState <= ControlState.CONTROL_STATE_NONE ? '' : ` (${shortName(ControlState, a.controlState, 'CONTROL_STATE_')}${a.pausedByHalt ? ' by the halt' : ''})`)],
    ['Risk', `${styledRisk(style, a.riskLevel)}, confidence ${a.confidence}`],
    ['Proposed', `${iso(a.createdAt)} by ${printable(a.proposedBy)} (${age(a.createdAt, now)} ago)`],
    ['Approvals', `${a.decisions.filter((d) => d.kind === DecisionKind.DECISION_KIND_APPROVE).length} of ${a.approvalsRequired}`],
  ];
  if (a.expiresAt !== undefined) rows.push(['Expires', iso(a.expiresAt)]);
  if (a.lease !== undefined) rows.push(['Executor', `${printable(a.lease.executorId)} (attempt ${a.lease.attempt} of ${a.maxAttempts})`]);
  if (a.policyVerdict !== undefined && a.policyVerdict.mode !== '') {
    rows.push(['Policy', printable(`${a.policyVerdict.mode}: ${a.policyVerdict.wouldApprove ? 'would approve' : 'would not approve'}${a.policyVerdict.rule === '' ? '' : ` (rule ${a.policyVerdict.rule})`}${a.policyVerdict.reason === '' ? '' : `: ${a.policyVerdict.reason}`}`)]);
  }
  if (a.correlationId !== '') rows.push(['Correlation', printable(a.correlationId)]);
  if (a.rollbackReference !== '') rows.push(['Rollback', printable(a.rollbackReference)]);
  if (a.payload !== undefined && Object.keys(a.payload).length > 0) rows.push(['Payload', printable(JSON.stringify(a.payload))]);
  if (a.result !== undefined && Object.keys(a.result).length > 0) rows.push(['Result', printable(JSON.stringify(a.result))]);
  if (a.error !== '') rows.push(['Error', paint(style, 'red', printable(a.error))]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  const card = rows.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n');
  const history = a.history.length === 0 ? '' : `\n\nHistory:\n${a.history.map((e) => `  ${eventLine(e, style)}`).join('\n')}`;
  return `${card}${history}\n`;
}
