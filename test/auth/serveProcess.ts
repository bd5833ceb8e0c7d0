import { spawn } from 'node:child_process';
import { REPO_ROOT, type ExitStatus } from '../support/childServer.js';

/** One JSON log line of the server. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** How long a server may take to start, or to log what a test waits for, on a loaded machine. */
const WAIT_TIMEOUT_MS = 30_000;

/** `actiongate serve` as a child process, logging at info so a test can wait for what it says. */
export interface ServeProcess {
  /** host:port it listens on, from its 'actiongate listening' line; a wildcard host is given as 127.0.0.1. */
  readonly address: string;
  readonly logs: readonly LogLine[];
  readonly exited: Promise<ExitStatus>;
  /** The first line from index `from` on that `match` accepts. */
  waitForLog(match: (line: LogLine) => boolean, from?: number): Promise<LogLine>;
  output(): string;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<ExitStatus>;
}

const running = new Set<ServeProcess>();

/** Stops every server a test started and left running. */
export async function stopAllServes(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

/**
 * Starts `actiongate serve --data-dir DIR ARGS` (the compiled build, as an operator
 * would; `--listen 127.0.0.1:0` unless ARGS say otherwise) and waits until it listens.
 */
export async function startServe(dataDir: string, args: readonly string[]): Promise<ServeProcess> {
  const listen = args.includes('--listen') ? [] : ['--listen', '127.0.0.1:0'];
  const child = spawn(process.execPath, ['bin/actiongate.js', 'serve', '--data-dir', dataDir, '--log-level', 'info', ...listen, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const logs: LogLine[] = [];
  let raw = '';
  let pending = '';
  const wake = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    raw += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        // Not a log line; kept in the raw output.
      }
    }
    for (const w of wake) w();
  });
  child.stderr.on('data', (chunk: Buffer) => (raw += chunk.toString()));
  const exited = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let alive = true;
  void exited.then(() => {
    alive = false;
    for (const w of wake) w();
  });

  const waitForLog = (match: (line: LogLine) => boolean, from = 0): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = logs.slice(from).find(match);
        if (found !== undefined) finish(() => resolve(found));
        else if (!alive) finish(() => reject(new Error(`the server exited before logging what was awaited:\n${raw}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${WAIT_TIMEOUT_MS} ms waiting for a log line:\n${raw}`))), WAIT_TIMEOUT_MS);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        wake.delete(check);
        settle();
      };
      wake.add(check);
      check();
    });

  let address = '';
  const serve: ServeProcess = {
    get address() {
      return address;
    },
    logs,
    exited,
    waitForLog,
    output: () => raw,
    signal: (signal) => {
      if (alive) child.kill(signal);
    },
    async stop() {
      running.delete(serve);
      if (alive) child.kill('SIGTERM');
      return exited;
    },
  };
  running.add(serve);
  try {
    const listening = await waitForLog((line) => line.msg === 'actiongate listening');
    address = String(listening.address).replace(/^(0\.0\.0\.0|\[::\]):/, '127.0.0.1:');
  } catch (err) {
    await serve.stop();
    throw err;
  }
  return serve;
}
