import { StartupError } from '../shared/StartupError.js';

/** Why a bind failed, by the errno grpc-js or node:net reports (grpc-js only puts it in the message). */
const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address in use',
  EADDRNOTAVAIL: 'address not available on this machine',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name not found',
};

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const message = err instanceof Error ? err.message : String(err);
  const named = typeof code === 'string' ? code : /\b(EADDRINUSE|EADDRNOTAVAIL|EACCES|ENOTFOUND|EAI_AGAIN)\b/.exec(message)?.[1];
  return (named !== undefined ? REASONS[named] : undefined) ?? message.replace(/\s+/g, ' ');
}

/** One line for a port that cannot be bound: the address, why, and which option to change. */
export function listenFailure(address: string, option: string, err: unknown): StartupError {
  const what = option === '--http-listen' ? `${address} for HTTP` : address;
  const why = reason(err);
  const advice = why === REASONS.EADDRINUSE ? `stop what holds it or choose another ${option}` : `choose another ${option}`;
  return new StartupError(`cannot listen on ${what}: ${why}; ${advice}`, { cause: err });
}
