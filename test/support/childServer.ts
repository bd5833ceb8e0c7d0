import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { status, type ServiceError } from '@grpc/grpc-js';
import { ActionClient } from '../../src/client/ActionClient.js';
import { freePort } from './freePort.js';
import { waitFor } from './waitFor.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY_TIMEOUT_MS = 30_000;


export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** `actiongate serve` running as a child process, the way an operator starts it. */
export interface ChildServer {
  readonly address: string;
  readonly process: ChildProcess;
  readonly exited: Promise<ExitStatus>;
  /** stdout and stderr so far, for failure messages. */
  output(): string;
  /** A client with a short reconnect backoff; closed by `stop`. */
  client(): ActionClient;
  /** Sends `signal` and waits for the process to exit. */
  kill(signal: NodeJS.Signals): Promise<ExitStatus>;
  /** Kills it with SIGKILL if it still runs and closes its clients. */
  stop(): Promise<void>;
}

function exitOf(child: ChildProcess): Promise<ExitStatus> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Channel options that retry a refused connection quickly, so readiness is seen soon after the bind. */
export const FAST_RECONNECT = { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 500 };

/** Waits until the server answers a real call (GetAction on an unknown id is NOT_FOUND once it serves). */
export async function waitUntilServing(client: ActionClient, isAlive: () => boolean, describe: () => string): Promise<void> {
  const probe = async (): Promise<'serving' | 'answered' | 'exited' | 'starting'> => {
    try {
      await client.getAction({ actionId: randomUUID() }, { timeoutMs: 1000 });
      return 'answered';
    } catch (err) {
      if ((err as ServiceError).code === status.NOT_FOUND) return 'serving';
      return isAlive() ? 'starting' : 'exited';
    }
  };
  let state: Awaited<ReturnType<typeof probe>>;
  try {
    state = await waitFor(probe, (s) => s !== 'starting', { timeoutMs: READY_TIMEOUT_MS, intervalMs: 50, what: 'the server to serve' });
  } catch (err) {
    throw new Error(`the server did not serve within ${READY_TIMEOUT_MS} ms:\n${describe()}`, { cause: err });
  }
  if (state === 'exited') throw new Error(`the server exited before serving:\n${describe()}`);
  if (state === 'answered') throw new Error('GetAction on a random id answered without an error');
}

async function startOnce(dataDir: string, extraArgs: readonly string[]): Promise<ChildServer> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    ['bin/actiongate.js', 'serve', '--listen', address, '--data-dir', dataDir, '--log-level', 'warn', ...extraArgs],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = exitOf(child);
  let alive = true;
  void exited.then(() => (alive = false));
  const clients: ActionClient[] = [];
  const server: ChildServer = {
    address,
    process: child,
    exited,
    output: () => output,
    client() {
      const client = new ActionClient(address, { channelOptions: FAST_RECONNECT });
      clients.push(client);
      return client;
    },
    async kill(signal) {
      if (alive) child.kill(signal);
      return exited;
    },
    async stop() {
      for (const c of clients) c.close();
      if (alive) child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await waitUntilServing(server.client(), () => alive, () => output);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** Starts `actiongate serve` on a free port over `dataDir` and waits until it serves; retries if the port was taken meanwhile. */
export async function startChildServer(dataDir: string, extraArgs: readonly string[] = []): Promise<ChildServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(dataDir, extraArgs);
    } catch (err) {
      lastError = err;
      if (!String((err as Error).message).includes('cannot listen')) throw err;
    }
  }
  throw lastError;
}
