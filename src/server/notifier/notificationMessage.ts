import type { HistoryEvent } from '../../domain/action.js';
import { Action, HistoryEvent as HistoryEventMessage } from '../../gen/actiongate/v1/action.js';
import { ControlSignal } from '../../gen/actiongate/v1/control_service.js';
import type { NotificationSubject } from '../../store/ActionStore.js';
import { signalToProto } from '../controlMapping.js';
import { actionToProto, eventToProto } from '../protoMapping.js';

export type NotificationKind = 'pending' | 'terminated' | 'failed' | 'halted';

/** The JSON body POSTed to a webhook: Slack reads `text`; everything else is for programs. */
export interface NotificationMessage {
  /** One readable line, with a link to the inbox when the server knows its public URL. */
  readonly text: string;
  readonly kind: NotificationKind;
  /** The action as it is now, in the gRPC JSON mapping (absent for a halt). */
  readonly action?: unknown;
  /** The history event announced, in the gRPC JSON mapping. */
  readonly event?: unknown;
  /** The HALT signal announced, in the gRPC JSON mapping. */
  readonly signal?: unknown;
}

function kindOf(event: HistoryEvent): NotificationKind {
  if (event.to === 'TERMINATED') return 'terminated';
  if (event.to === 'FAILED') return 'failed';
  return 'pending';
}

/** Controls (ESC, CR, C1) and the bidirectional overrides: a terminal or a chat client would act on them, not show them. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Stored text (a reason, a node, an actor) as part of one line: newlines and
 * controls folded into spaces, no longer than a chat line should be, and with
 * Slack's three control characters escaped as Slack asks
 * (https://api.slack.com/reference/surfaces/formatting#escaping), so that a
 * reason cannot write `<!channel>` to page everyone or `<https://x|inbox>` to
 * disguise a link.
 */
function inline(text: string, max = 200): string {
  const folded = text.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
  const short = folded.length > max ? `${folded.slice(0, max - 1)}…` : folded;
  return short.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The message for one outbox entry. `publicUrl` is where people reach the
 * inbox (`--public-url`); without it the line names the action id instead of linking it.
 */
export function notificationMessage(subject: NotificationSubject, publicUrl: string | null): NotificationMessage {
  if ('signal' in subject) {
    const { signal } = subject;
    const running = signal.terminateRunning ? 'running actions are terminated' : 'running actions are paused';
    const why = signal.reason === '' ? '' : `: ${inline(signal.reason)}`;
    const link = publicUrl === null ? '' : ` ${publicUrl}/`;
    return {
      text: `actiongate is HALTED by ${inline(signal.issuedBy)}${why}; no approvals or claims until someone unhalts, and ${running}.${link}`,
      kind: 'halted',
      signal: ControlSignal.toJSON(signalToProto(signal)),
    };
  }
  const { event, action } = subject;
  const kind = kindOf(event);
  const what = `${inline(action.actionType)} on ${inline(`${action.node}/${action.service}`)} (${action.riskLevel})`;
  const why = event.reason === '' ? '' : `: ${inline(event.reason)}`;
  const sentence = {
    pending: `${what} waits for approval, proposed by ${inline(action.proposedBy)}${action.approvalsRequired > 1 ? `; it needs ${action.approvalsRequired} approvers` : ''}`,
    terminated: `${what} was TERMINATED by ${inline(event.actor)}${why}`,
    failed: `${what} FAILED after ${event.attempt} attempt${event.attempt === 1 ? '' : 's'}${action.error === '' ? why : `: ${inline(action.error)}`}`,
    halted: '',
  }[kind];
  const where = publicUrl === null ? ` (action ${action.id})` : ` ${publicUrl}/#/actions/${action.id}`;
  return {
    text: `actiongate: ${sentence}.${where}`,
    kind,
    action: Action.toJSON(actionToProto(action)),
    event: HistoryEventMessage.toJSON(eventToProto(event)),
  };
}
