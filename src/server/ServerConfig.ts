import type { ActionTypeEntry } from '../domain/catalog.js';

export interface ServerConfig {
  /** host:port; loopback unless an operator says otherwise. */
  readonly listen: string;
  /** host:port of the HTTP side port (/healthz, /readyz, /metrics, the JSON API and the inbox); null leaves it off. */
  readonly httpListen: string | null;
  /** How often an idle event stream (GET /api/v1/events) gets a comment, so proxies and clients see it alive. */
  readonly sseHeartbeatMs: number;
  readonly dataDir: string;
  /** Action types added to the built-in catalog. */
  readonly actionTypes: readonly ActionTypeEntry[];
  readonly maxPayloadBytes: number;
  readonly maxAttempts: number;
  readonly defaultLeaseTtlSeconds: number;
  readonly maxLeaseTtlSeconds: number;
  readonly maxWaitSeconds: number;
  readonly defaultPendingTtlSeconds: number;
  readonly maxPendingTtlSeconds: number;
  /** How often expired leases and pending actions are looked for. */
  readonly sweepIntervalMs: number;
  /** How long shutdown waits for calls in flight before cutting them off. */
  readonly shutdownGraceMs: number;
  /** Control signals held for one slow Subscribe stream before it is closed with RESOURCE_EXHAUSTED. */
  readonly controlBufferLimit: number;
  /** Disk held back in the data directory so the kill switch still writes when the disk fills; 0 turns it off. */
  readonly diskReserveBytes: number;
  /** How often the server pings each connection; a peer that does not answer within keepaliveTimeoutMs is dropped. 0 turns pings off. */
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly logLevel: string;
  /** The principals file (YAML); null runs open, every caller `anonymous`, which is allowed on loopback only. */
  readonly authFile: string | null;
  /** The policy file (YAML); null keeps the built-in default: recommend mode, no rules. */
  readonly policyFile: string | null;
  /** Serve open on an address that is not loopback anyway: `--allow-unauthenticated`, logged on every start. */
  readonly allowUnauthenticated: boolean;
  /** TLS (and, with a client CA, mutual TLS); null serves plaintext. */
  readonly tls: ServerTlsConfig | null;
  /** Webhooks (http or https URLs) told when an action waits for approval, is terminated or fails, and of a halt. */
  readonly notifyWebhooks: readonly string[];
  /** Where people reach the inbox (no trailing slash), for links in notifications; null leaves links out. */
  readonly publicUrl: string | null;
}

/** PEM files for TLS. */
export interface ServerTlsConfig {
  /** The server's certificate chain and its private key. */
  readonly certFile: string;
  readonly keyFile: string;
  /** Client certificates must be signed by this CA (mutual TLS); null asks clients for none. */
  readonly clientCaFile: string | null;
}

export const DEFAULT_CONFIG: ServerConfig = {
  listen: '127.0.0.1:50051',
  httpListen: null,
  sseHeartbeatMs: 15_000,
  dataDir: './data',
  actionTypes: [],
  maxPayloadBytes: 64 * 1024,
  maxAttempts: 3,
  defaultLeaseTtlSeconds: 30,
  maxLeaseTtlSeconds: 3600,
  maxWaitSeconds: 60,
  defaultPendingTtlSeconds: 24 * 3600,
  maxPendingTtlSeconds: 30 * 24 * 3600,
  sweepIntervalMs: 1000,
  shutdownGraceMs: 10_000,
  controlBufferLimit: 1024,
  diskReserveBytes: 64 * 1024 * 1024,
  // A frozen link is found within 15 s, so a dead executor leaves subscribed_executors and its stream is closed.
  keepaliveTimeMs: 10_000,
  keepaliveTimeoutMs: 5_000,
  logLevel: 'info',
  authFile: null,
  policyFile: null,
  allowUnauthenticated: false,
  tls: null,
  notifyWebhooks: [],
  publicUrl: null,
};
