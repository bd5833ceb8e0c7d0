import { performance } from 'node:perf_hooks';
import { machineBusyCpuSeconds } from './cpuTime.js';
import { LatencySamples, type LatencySummary } from './percentiles.js';

/** Times one RPC of an operation; only RPCs that finish inside the measured window count. */
export type Timed = <T>(rpc: string, call: () => Promise<T>) => Promise<T>;

/** One unit of work (one RPC, or a whole lifecycle of several), run again and again by each worker. */
export type Operation = (worker: number, timed: Timed) => Promise<void>;

export interface LoadOptions {
  /** Workers, each with exactly one operation in flight: the number of RPCs in flight at any moment. */
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** CPU seconds used so far by the server under load, read at both ends of the window. */
  readonly serverCpuSeconds: () => number;
  /** CPU seconds used so far by the database server the server uses, if it runs on this machine. */
  readonly databaseCpuSeconds?: () => number;
}

export interface LoadReport {
  readonly concurrency: number;
  readonly measuredSeconds: number;
  /** Operations that completed inside the window, per second. */
  readonly operationsPerSecond: number;
  readonly operations: number;
  readonly failedOperations: number;
  /** RPCs that completed successfully inside the window, per RPC name, per second. */
  readonly rpcsPerSecond: Record<string, number>;
  readonly latency: Record<string, LatencySummary>;
  /** `rpc: grpc status code` → count, inside the window. */
  readonly errors: Record<string, number>;
  /** Share of one core used by the load-generating process (this one) during the window. */
  readonly clientCpuCores: number;
  /** Share of one core used by the server process during the window. */
  readonly serverCpuCores: number;
  /** Server CPU time per successful RPC in the window, in microseconds. */
  readonly serverCpuMicrosPerRpc: number;
  /**
   * Cores busy with anything but the client, the server and the database server when it is
   * measured (other processes, the kernel's
   * own threads, steal) during the window. Near 0 on a quiet machine; when it is not,
   * the figures of this window were measured while sharing the machine.
   */
  readonly otherCpuCores: number;
  /** Share of one core used by the database server during the window; null when not measured. */
  readonly databaseCpuCores: number | null;
}

const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A closed loop: `concurrency` workers each run `operation` back to back for
 * warmup + duration, then stop launching and wait for what is in flight. The
 * window starts and ends on timers, and the counters only count while it is open.
 */
export async function runLoad(operation: Operation, options: LoadOptions): Promise<LoadReport> {
  const samples = new Map<string, LatencySamples>();
  const errors: Record<string, number> = {};
  let measuring = false;
  let stopping = false;
  let operations = 0;
  let failedOperations = 0;

  const timed: Timed = async (rpc, call) => {
    const start = performance.now();
    try {
      const result = await call();
      if (measuring) {
        let rpcSamples = samples.get(rpc);
        if (rpcSamples === undefined) samples.set(rpc, (rpcSamples = new LatencySamples()));
        rpcSamples.add(performance.now() - start);
      }
      return result;
    } catch (err) {
      if (measuring) {
        const key = `${rpc}: ${(err as { code?: unknown }).code ?? 'client'}`;
        errors[key] = (errors[key] ?? 0) + 1;
      }
      throw err;
    }
  };

  const worker = async (id: number): Promise<void> => {
    while (!stopping) {
      try {
        await operation(id, timed);
        if (measuring) operations++;
      } catch {
        if (measuring) failedOperations++;
        // A server that refuses everything must not turn the loop into a busy spin.
        await delay(1);
      }
    }
  };

  let windowStart = 0;
  let windowEnd = 0;
  let clientCpuStart = process.cpuUsage();
  let clientCpuEnd = clientCpuStart;
  let serverCpuStart = 0;
  let serverCpuEnd = 0;
  let machineCpuStart = 0;
  let machineCpuEnd = 0;
  let databaseCpuStart = 0;
  let databaseCpuEnd = 0;
  const window = new Promise<void>((resolve) => {
    setTimeout(() => {
      measuring = true;
      windowStart = performance.now();
      clientCpuStart = process.cpuUsage();
      serverCpuStart = options.serverCpuSeconds();
      databaseCpuStart = options.databaseCpuSeconds?.() ?? 0;
      machineCpuStart = machineBusyCpuSeconds();
      setTimeout(() => {
        measuring = false;
        stopping = true;
        windowEnd = performance.now();
        clientCpuEnd = process.cpuUsage(clientCpuStart);
        serverCpuEnd = options.serverCpuSeconds();
        databaseCpuEnd = options.databaseCpuSeconds?.() ?? 0;
        machineCpuEnd = machineBusyCpuSeconds();
        resolve();
      }, options.durationMs);
    }, options.warmupMs);
  });
  const workers = Array.from({ length: options.concurrency }, (_, id) => worker(id));
  await window;
  await Promise.all(workers);

  const seconds = (windowEnd - windowStart) / 1000;
  const latency: Record<string, LatencySummary> = {};
  const rpcsPerSecond: Record<string, number> = {};
  let rpcs = 0;
  for (const [rpc, rpcSamples] of samples) {
    latency[rpc] = rpcSamples.summary();
    rpcsPerSecond[rpc] = round(rpcSamples.count / seconds);
    rpcs += rpcSamples.count;
  }
  const serverCpu = serverCpuEnd - serverCpuStart;
  const clientCpu = (clientCpuEnd.user + clientCpuEnd.system) / 1e6;
  const databaseCpu = databaseCpuEnd - databaseCpuStart;
  const otherCpu = Math.max(0, machineCpuEnd - machineCpuStart - serverCpu - clientCpu - databaseCpu);
  return {
    concurrency: options.concurrency,
    measuredSeconds: round(seconds, 3),
    operationsPerSecond: round(operations / seconds),
    operations,
    failedOperations,
    rpcsPerSecond,
    latency,
    errors,
    clientCpuCores: round(clientCpu / seconds, 2),
    serverCpuCores: round(serverCpu / seconds, 2),
    serverCpuMicrosPerRpc: rpcs === 0 ? 0 : round((serverCpu * 1e6) / rpcs),
    otherCpuCores: round(otherCpu / seconds, 2),
    databaseCpuCores: options.databaseCpuSeconds === undefined ? null : round(databaseCpu / seconds, 2),
  };
}
