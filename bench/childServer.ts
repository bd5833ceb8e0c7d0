import { spawn, type ChildProcess } from 'node:child_process';
import { Client, credentials } from '@grpc/grpc-js';
import { processCpuSeconds } from './cpuTime.js';
import { freePort } from '../test/support/freePort.js';

export { freePort };

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 15_000;

/** A gRPC server running in its own process, as in production. */
export interface ChildServer {
  readonly name: string;
  readonly pid: number;
  readonly address: string;
  /** User + system CPU seconds the process has used so far (from /proc, so Linux only). */
  cpuSeconds(): number;
  /** SIGTERM, then SIGKILL if it has not exited within the grace period. */
  stop(): Promise<void>;
}


function waitForReady(address: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const client = new Client(address, credentials.createInsecure());
  return new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`exited with ${code} before it listened:\n${stderr()}`));
    child.once('exit', onExit);
    client.waitForReady(Date.now() + READY_TIMEOUT_MS, (err) => {
      child.off('exit', onExit);
      if (err) reject(new Error(`not listening on ${address} after ${READY_TIMEOUT_MS} ms:\n${stderr()}`, { cause: err }));
      else resolve();
    });
  }).finally(() => client.close());
}

const children = new Set<ChildProcess>();
// Never leave a server behind, whatever way this process ends.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts `node ...args` and resolves once it accepts connections on `address`. */
export async function startChildServer(name: string, args: readonly string[], address: string, cwd: string): Promise<ChildServer> {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8192);
    process.stderr.write(`[${name}] ${chunk}`);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => children.delete(child));
  try {
    await waitForReady(address, child, () => stderr);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${name} did not start`, { cause: err });
  }
  const pid = child.pid!;
  return {
    name,
    pid,
    address,
    cpuSeconds: () => processCpuSeconds(pid),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(force);
    },
  };
}
