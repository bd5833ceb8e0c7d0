import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ActionClient } from '../client/ActionClient.js';
import { RiskLevel } from '../gen/actiongate/v1/action.js';
import { formatAuthFile } from '../server/auth/authFile.js';
import { sha256Hex } from '../shared/sha256Hex.js';
import { parseWholeNumber } from '../shared/parseWholeNumber.js';
import { StartupError } from '../shared/StartupError.js';
import { EXIT } from './cliFailure.js';
import { parseCommandLine } from './parseCommandLine.js';

/** Recommend mode: the policy says what it would approve, and people still decide. */
const POLICY = `mode: recommend
rules:
  - name: safe-checks
    action_types: [rerun_healthcheck, collect_diagnostics]
    risk: [SAFE]
    min_confidence: 0.8
`;

/** What the demo agent proposes: a few SAFE actions, a GUARDED one, and one raised to DANGEROUS. */
const PROPOSALS = [
  { actionType: 'rerun_healthcheck', node: 'web-1', service: 'checkout', confidence: 0.93, payload: { reason: 'health check flapped twice in 5 minutes' } },
  { actionType: 'collect_diagnostics', node: 'web-2', service: 'checkout', confidence: 0.88, payload: { bundle: 'logs+heap' } },
  { actionType: 'rerun_healthcheck', node: 'db-1', service: 'postgres', confidence: 0.6, payload: { reason: 'replica lag alert' } },
  { actionType: 'redeploy_service', node: 'web-3', service: 'search', confidence: 0.75, payload: { image: 'search:2.8.1' } },
  { actionType: 'redeploy_service', node: 'db-1', service: 'postgres', confidence: 0.55, riskLevel: RiskLevel.RISK_LEVEL_DANGEROUS, payload: { image: 'postgres:16.4', note: 'restarts the primary' } },
];

const READY_TIMEOUT_MS = 30_000;

function token(): string {
  return randomBytes(32).toString('base64url');
}

/** A child `actiongate` process whose JSON log lines at warn or above are passed on to stderr. */
function child(args: readonly string[], name: string, onLine: (entry: Record<string, unknown>) => void = () => {}): ChildProcess {
  const proc = spawn(process.execPath, [process.argv[1]!, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  for (const stream of [proc.stdout!, proc.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        process.stderr.write(`[${name}] ${line}\n`);
        return;
      }
      onLine(entry);
      if (typeof entry.level === 'number' && entry.level >= 40) process.stderr.write(`[${name}] ${String(entry.msg)}\n`);
    });
  }
  return proc;
}

function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((resolve) => proc.once('exit', () => resolve()));
}

/** The server's "actiongate listening" line: where it serves gRPC and HTTP. */
function listening(server: ChildProcess, lines: { address?: string; httpPort?: number }): Promise<{ address: string; httpPort: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new StartupError(`the demo server did not start within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    const check = setInterval(() => {
      if (lines.address !== undefined && lines.httpPort !== undefined) {
        clearTimeout(timer);
        clearInterval(check);
        resolve({ address: lines.address, httpPort: lines.httpPort });
      }
    }, 50);
    server.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(check);
      reject(new StartupError(`the demo server exited (code ${code}) before serving; its messages are above`));
    });
  });
}

/**
 * `actiongate demo`: a server on a temporary data directory (an auth file, a
 * recommend-mode policy, the inbox on a free loopback port), an executor
 * running approved actions in simulation, and an agent proposing a few. It
 * prints the inbox URL, a token and commands to try, and on Ctrl-C (or
 * SIGTERM) stops both processes and removes the directory.
 */
export async function demoCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandLine('demo', { args: [...argv], options: { port: { type: 'string' } }, allowPositionals: false, strict: true });
  const port = values.port === undefined ? 0 : parseWholeNumber('--port', values.port, 1, 65535);
  const dir = mkdtempSync(join(tmpdir(), 'actiongate-demo-'));
  const tokens = { you: token(), agent: token(), executor: token() };
  writeFileSync(join(dir, 'auth.yaml'), formatAuthFile([
    { name: 'you', roles: ['approver', 'operator', 'viewer'], tokenSha256: sha256Hex(tokens.you), certificateCn: null, executorIds: ['you'] },
    { name: 'demo-agent', roles: ['agent'], tokenSha256: sha256Hex(tokens.agent), certificateCn: null, executorIds: ['demo-agent'] },
    { name: 'demo-executor', roles: ['executor'], tokenSha256: sha256Hex(tokens.executor), certificateCn: null, executorIds: ['demo-executor'] },
  ]), { mode: 0o600 });
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  writeFileSync(join(dir, 'executor.token'), `${tokens.executor}\n`, { mode: 0o600 });

  const seen: { address?: string; httpPort?: number } = {};
  const server = child([
    'serve', '--listen', `127.0.0.1:${port}`, '--http-listen', '127.0.0.1:0', '--data-dir', join(dir, 'data'),
    '--auth-file', join(dir, 'auth.yaml'), '--policy', join(dir, 'policy.yaml'), '--log-level', 'info',
  ], 'server', (entry) => {
    if (entry.msg === 'actiongate listening') Object.assign(seen, { address: entry.address, httpPort: entry.httpPort });
  });
  let executor: ChildProcess | undefined;
  let agent: ActionClient | undefined;
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      stopping = true;
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  try {
    const { address, httpPort } = await Promise.race([listening(server, seen), stopped.then(() => null)]) ?? {};
    if (address === undefined) return EXIT.ok;
    executor = child(['executor', '--server', address, '--executor-id', 'demo-executor', '--token-file', join(dir, 'executor.token'),
      '--state-dir', join(dir, 'executor-state'), '--poll-wait-seconds', '5', '--log-level', 'warn'], 'executor');
    agent = new ActionClient(address, { token: tokens.agent });
    const ids: string[] = [];
    for (const proposal of PROPOSALS) ids.push((await agent.propose({ ...proposal, correlationId: 'demo' }, { timeoutMs: 10_000 })).action!.actionId);
    const run = (command: string): string => `  actiongate ${command} --server ${address} --token ${tokens.you}`;
    process.stdout.write([
      '',
      'actiongate demo is running. The agent proposed 5 actions; they wait for you.',
      '',
      `  inbox:  http://127.0.0.1:${httpPort}/`,
      `  token:  ${tokens.you}    (you: approver, operator, viewer)`,
      `  server: ${address}        (data in ${dir})`,
      '',
      'Sign in to the inbox with the token and approve one; the demo executor runs it in simulation.',
      'From a second terminal:',
      run('list'),
      run(`get ${ids[0]}`),
      run(`approve ${ids[0]} --reason "looks right"`),
      run(`terminate ${ids[3]} --reason "wrong image"`),
      run('watch'),
      '',
      'Ctrl-C stops the server and the executor and removes the data.',
      '',
    ].join('\n'));
    await Promise.race([stopped, exited(server).then(() => {
      // Ctrl-C in a terminal reaches the children too: the server may end on its own as we stop.
      if (!stopping) throw new StartupError('the demo server stopped unexpectedly; its messages are above');
    })]);
    return EXIT.ok;
  } finally {
    agent?.close();
    executor?.kill('SIGTERM');
    if (executor !== undefined) await exited(executor);
    server.kill('SIGTERM');
    await exited(server);
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`actiongate demo: stopped, and ${dir} removed\n`);
  }
}
