import { ActionClient, type ClientOptions } from '../client/ActionClient.js';
import { ControlClient } from '../client/ControlClient.js';
import { ControlSubscriber, type ControlSubscriberOptions } from '../client/ControlSubscriber.js';
import type { ExecuteRequest } from '../gen/actiongate/v1/action_service.js';
import { ClaimedAction } from './ClaimedAction.js';
import { claimOnce } from './claimOnce.js';
import { SILENT_LOG, type ExecutorLog } from './ExecutorLog.js';

/** How much longer than its own wait the client lets an Execute long poll run before giving up on it. */
const POLL_DEADLINE_SLACK_MS = 15_000;

export interface ExecutorSessionOptions {
  /** host:port of the actiongate server. */
  readonly server: string;
  /** This executor's stable name: the control stream and every lease are under it. */
  readonly executorId: string;
  /**
   * Channel settings: `token` (a bearer token for a server with an auth file),
   * `credentials` (TLS or mutual TLS, from `clientCredentials({ ca, cert, key })`)
   * and keepalive (a ping every 10 s, answered within 5 s, by default).
   */
  readonly client?: ClientOptions;
  /** Backoff, acks, and `disconnectGraceMs`: how long the stream may be down before running work holds at its checkpoints. */
  readonly subscriber?: ControlSubscriberOptions;
  /** Defaults to logging nothing; a pino logger fits. */
  readonly log?: ExecutorLog;
}

/** Which action to claim; every field is optional. */
export interface ClaimRequest {
  /** Only these action types (default: any). */
  readonly actionTypes?: readonly string[];
  readonly nodes?: readonly string[];
  /** One particular APPROVED action instead of the oldest that matches. */
  readonly actionId?: string;
  /** The lease's time to live (0 or absent: the server's default, 30 s); it is heartbeated every third of it. */
  readonly leaseTtlSeconds?: number;
  /** How long the server waits for a claimable action before answering with none. */
  readonly waitSeconds?: number;
}

/**
 * One executor's connection to actiongate: its clients and its control
 * stream, kept live with backoff. `claim` hands out ClaimedActions, which keep
 * their lease and obey the kill switch until released; `close` releases what
 * is still held and closes the stream and the channels, so the process can exit.
 */
export class ExecutorSession {
  readonly actions: ActionClient;
  readonly control: ControlClient;
  readonly subscriber: ControlSubscriber;
  private readonly held = new Set<ClaimedAction>();
  private readonly log: ExecutorLog;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ExecutorSessionOptions) {
    this.actions = new ActionClient(options.server, options.client);
    this.control = new ControlClient(options.server, options.client);
    this.subscriber = new ControlSubscriber(this.control, options.executorId, options.subscriber);
    this.log = (options.log ?? SILENT_LOG).child({ executorId: options.executorId });
    this.subscriber.start();
  }

  get executorId(): string {
    return this.options.executorId;
  }

  /** Resolves once the control stream is live (its snapshot applied). */
  ready(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.subscriber.waitUntilLive(options);
  }

  /**
   * Claims an approved action, waiting first for a live control stream (a
   * terminate must be able to reach what is claimed). Resolves null when
   * nothing was claimable within `waitSeconds`.
   */
  async claim(request: ClaimRequest = {}, options: { signal?: AbortSignal } = {}): Promise<ClaimedAction | null> {
    if (this.closing !== undefined) throw new Error('the executor session is closed');
    const signal = options.signal ?? new AbortController().signal;
    await this.ready({ signal });
    const execute: ExecuteRequest = {
      executorId: this.options.executorId,
      actionId: request.actionId ?? '',
      actionTypes: [...(request.actionTypes ?? [])],
      nodes: [...(request.nodes ?? [])],
      leaseTtlSeconds: request.leaseTtlSeconds ?? 0,
      waitSeconds: request.waitSeconds ?? 0,
    };
    const reply = await claimOnce(this.actions, execute, signal, execute.waitSeconds * 1000 + POLL_DEADLINE_SLACK_MS);
    if (reply.action === undefined) return null;
    const claimed = new ClaimedAction(
      { ...reply, action: reply.action },
      { actions: this.actions, subscriber: this.subscriber, log: this.log, onRelease: () => this.held.delete(claimed) },
    );
    this.held.add(claimed);
    return claimed;
  }

  /** Releases what is still held (its work is told to stop), ends the control stream, closes the channels. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const claimed of this.held) this.subscriber.state.revoke(claimed.actionId, 'the executor session was closed');
      await Promise.all([...this.held].map((claimed) => claimed.release()));
      await this.subscriber.stop();
      this.actions.close();
      this.control.close();
    })();
    return this.closing;
  }
}
