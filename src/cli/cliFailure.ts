import { status } from '@grpc/grpc-js';
import { ConfigError } from '../shared/ConfigError.js';
import { printable } from './printable.js';

/** The exit codes scripts may rely on (documented in the README). */
export const EXIT = {
  ok: 0,
  /** Anything not listed below: the server failed inside, or a local file could not be read. */
  failed: 1,
  /** The command line (or a field the server checked) is wrong. */
  usage: 2,
  notFound: 3,
  /** Permission denied, not signed in, or the move is illegal in the action's state. */
  refused: 4,
  /** The server could not be reached, or did not answer before the deadline. */
  unreachable: 5,
} as const;

export interface CliFailure {
  readonly exitCode: number;
  /** One line: what went wrong and what to do next. */
  readonly message: string;
}

/** What the person asked for, for the messages. */
export interface FailureContext {
  readonly command: string;
  readonly server: string;
  readonly timeoutMs: number;
}

const SOCKET_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

/** Why a channel could not connect, from grpc-js's details ("No connection established. Last error: connect ECONNREFUSED ..."). */
function unreachableReason(details: string): string {
  for (const [code, words] of Object.entries(SOCKET_ERRORS)) if (details.includes(code)) return words;
  if (/certificate|SSL|TLS|handshake|self[- ]signed/i.test(details)) return 'the TLS handshake failed: check --tls-ca, --tls-cert and --tls-key';
  const last = /Last error: (?:Error: )?(.*?)(?: Resolution note:.*)?$/.exec(details)?.[1]?.trim();
  return last !== undefined && last !== '' ? last : details.trim() || 'no connection';
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

interface GrpcLikeError {
  readonly code: number;
  readonly details?: string;
  readonly message: string;
}

function isGrpcError(err: unknown): err is GrpcLikeError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && 'details' in err;
}

/**
 * The exit code and the one-line message for a failed command: status codes
 * are named, never numbered, and each message says what to do next.
 * Returns null for an error that is neither a usage mistake nor a gRPC status
 * (a bug), which the caller lets through with its stack.
 */
export function cliFailure(err: unknown, context: FailureContext): CliFailure | null {
  const { command, server, timeoutMs } = context;
  if (err instanceof ConfigError) return { exitCode: EXIT.usage, message: `${err.message} (see \`actiongate ${command} --help\`)` };
  if (!isGrpcError(err)) return null;
  // The server's words may quote what someone stored; none of it may act on the terminal.
  const details = printable(err.details ?? err.message);
  const named = status[err.code] ?? `status ${err.code}`;
  switch (err.code) {
    case status.UNAVAILABLE:
      return { exitCode: EXIT.unreachable, message: `cannot reach ${server} (${unreachableReason(details)}): is \`actiongate serve\` running? (--server or ACTIONGATE_SERVER names it)` };
    case status.DEADLINE_EXCEEDED:
      return { exitCode: EXIT.unreachable, message: `${server} did not answer within ${seconds(timeoutMs)} (DEADLINE_EXCEEDED): is it an actiongate server, and is it overloaded? Check it, or give more time with --timeout` };
    case status.INVALID_ARGUMENT:
    case status.OUT_OF_RANGE:
      return { exitCode: EXIT.usage, message: `${command} refused (${named}): ${details}; see \`actiongate ${command} --help\`` };
    case status.NOT_FOUND:
      return { exitCode: EXIT.notFound, message: `${command}: ${details} (${named}); \`actiongate list\` shows the actions there are` };
    case status.UNAUTHENTICATED:
      return { exitCode: EXIT.refused, message: `${command} refused (${named}): ${details}; give a token with --token, --token-file or ACTIONGATE_TOKEN` };
    case status.PERMISSION_DENIED:
      return { exitCode: EXIT.refused, message: `${command} refused (${named}): ${details}; ask an admin for the role (\`actiongate auth\`)` };
    case status.FAILED_PRECONDITION:
    case status.ALREADY_EXISTS:
    case status.ABORTED:
      return { exitCode: EXIT.refused, message: `${command} refused (${named}): ${details}; \`actiongate get ID\` shows the action's state` };
    case status.RESOURCE_EXHAUSTED:
      return { exitCode: EXIT.refused, message: `${command} refused (${named}): ${details}; try again later, or with less` };
    default:
      return { exitCode: EXIT.failed, message: `${command} failed (${named}): ${details}; the server's log says more` };
  }
}
