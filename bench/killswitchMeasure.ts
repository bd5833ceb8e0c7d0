import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ChildServer } from './childServer.js';
import { machineBusyCpuSeconds } from './cpuTime.js';
import { bareAll, type FanOutSample, type KillSwitchDriver, type Sample } from './killswitchDriver.js';
import type { BareFleet } from './killswitchFleets.js';
import { collectGarbage, residentKiB, round3, summarize } from './killswitchReport.js';

export const TERMINATE_P99_AIM = 2;
export const HALT_AIM = 1.5;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `a` and `b` alternately, `count` times each, in ABBA order so drift hits both alike. */
export async function alternate<A, B>(count: number, a: () => Promise<A>, b: () => Promise<B>): Promise<{ a: A[]; b: B[] }> {
  const as: A[] = [];
  const bs: B[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      as.push(await a());
      bs.push(await b());
    } else {
      bs.push(await b());
      as.push(await a());
    }
  }
  return { a: as, b: bs };
}

export function latencyPair(actiongate: Sample[], bare: Sample[]) {
  const terminate = summarize(actiongate.map((s) => s.appliedMs));
  const baseline = summarize(bare.map((s) => s.appliedMs));
  return {
    terminateToApplied: terminate,
    terminateRpcReply: summarize(actiongate.map((s) => s.replyMs)),
    bareToReceived: baseline,
    bareRpcReply: summarize(bare.map((s) => s.replyMs)),
    p99Ratio: round3(terminate.p99Ms / baseline.p99Ms),
    p50Ratio: round3(terminate.p50Ms / baseline.p50Ms),
    aim: TERMINATE_P99_AIM,
    meetsAim: terminate.p99Ms / baseline.p99Ms <= TERMINATE_P99_AIM,
  };
}

export function fanOutSummary(samples: FanOutSample[]) {
  return {
    last: summarize(samples.map((s) => s.lastMs)),
    first: summarize(samples.map((s) => s.firstMs)),
    median: summarize(samples.map((s) => s.medianMs)),
    reply: summarize(samples.map((s) => s.replyMs)),
    meanClientCpuMs: round3(samples.reduce((sum, s) => sum + s.clientCpuMs, 0) / samples.length),
    meanServerCpuMs: round3(samples.reduce((sum, s) => sum + s.serverCpuMs, 0) / samples.length),
    samples,
  };
}

/**
 * CPU used while `run` runs: by each server, by this process, and by every other process on the
 * machine (from /proc/stat), as a share of one core. Other work on the machine skews latency: read it first.
 */
export async function cpuDuring<T>(servers: ChildServer[], run: () => Promise<T>) {
  const wall0 = performance.now();
  const busy0 = machineBusyCpuSeconds();
  const client0 = process.cpuUsage();
  const before = servers.map((s) => s.cpuSeconds());
  const result = await run();
  const seconds = (performance.now() - wall0) / 1000;
  const serverSeconds = servers.map((s, i) => s.cpuSeconds() - before[i]!);
  const client = process.cpuUsage(client0);
  const clientSeconds = (client.user + client.system) / 1e6;
  const ours = clientSeconds + serverSeconds.reduce((a, b) => a + b, 0);
  const cores = (cpuSeconds: number): number => round3(cpuSeconds / seconds);
  return {
    result,
    cpu: {
      seconds: round3(seconds),
      serverCpuMs: Object.fromEntries(servers.map((s, i) => [s.name, Math.round(serverSeconds[i]! * 1000)])),
      clientCpuMs: Math.round(clientSeconds * 1000),
      otherProcessesCores: cores(Math.max(0, machineBusyCpuSeconds() - busy0 - ours)),
    },
  };
}

interface MemoryReading {
  readonly serverRssKiB: number;
  /** V8 heap in use plus memory outside it (Buffers, native), after the server's full GC. */
  readonly serverHeapAndExternalKiB: number;
  readonly clientRssKiB: number;
  readonly clientHeapKiB: number;
}

const SERVER_GC_TIMEOUT_MS = 5000;
const kib = (bytes: number): number => Math.round(bytes / 1024);

/** Asks the server for a full GC (SIGUSR2, bench/killswitchGcOnSignal.mjs) and waits for its report in `memoryDir`. */
async function serverAfterGc(server: ChildServer, memoryDir: string): Promise<{ heapUsed: number; external: number }> {
  const file = join(memoryDir, `memory-${server.pid}.json`);
  const last = (): number => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { reading: number }).reading : 0);
  const before = last();
  process.kill(server.pid, 'SIGUSR2');
  const deadline = Date.now() + SERVER_GC_TIMEOUT_MS;
  while (last() === before) {
    if (Date.now() > deadline) throw new Error(`${server.name} did not report its memory within ${SERVER_GC_TIMEOUT_MS} ms`);
    await sleep(20);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as { heapUsed: number; external: number };
}

/** After `settleMs`, a full GC in the server and in this process, then both sizes. */
async function readMemory(server: ChildServer, settleMs: number, memoryDir: string): Promise<MemoryReading> {
  await sleep(settleMs);
  const { heapUsed, external } = await serverAfterGc(server, memoryDir);
  collectGarbage();
  const client = process.memoryUsage();
  return {
    serverRssKiB: residentKiB(server.pid),
    serverHeapAndExternalKiB: kib(heapUsed + external),
    clientRssKiB: kib(client.rss),
    clientHeapKiB: kib(client.heapUsed),
  };
}

/** Server RSS and live memory (and this process's RSS and heap) before and after `grow` adds `added` idle streams. */
export async function memoryOf(server: ChildServer, grow: () => Promise<void>, added: number, settleMs: number, memoryDir: string) {
  const before = await readMemory(server, settleMs, memoryDir);
  await grow();
  const after = await readMemory(server, settleMs, memoryDir);
  const per1000MiB = (key: keyof MemoryReading): number => round3((((after[key] - before[key]) / added) * 1000) / 1024);
  return {
    streamsAdded: added,
    before,
    after,
    serverRssMiBPer1000: per1000MiB('serverRssKiB'),
    serverHeapAndExternalMiBPer1000: per1000MiB('serverHeapAndExternalKiB'),
    clientRssMiBPer1000: per1000MiB('clientRssKiB'),
    clientHeapMiBPer1000: per1000MiB('clientHeapKiB'),
  };
}

export function terminateSummary(pair: ReturnType<typeof latencyPair>) {
  return {
    p50Ms: pair.terminateToApplied.p50Ms,
    p99Ms: pair.terminateToApplied.p99Ms,
    bareP50Ms: pair.bareToReceived.p50Ms,
    bareP99Ms: pair.bareToReceived.p99Ms,
    p99Ratio: pair.p99Ratio,
    p50Ratio: pair.p50Ratio,
    aim: pair.aim,
    meetsAim: pair.meetsAim,
  };
}

/** Halt/unhalt cycles on the driver's fleet, alternating with bare Push(all), warmup first. */
export async function haltPhase(
  driver: KillSwitchDriver,
  bare: BareFleet,
  bareServer: ChildServer,
  servers: ChildServer[],
  settings: { haltSamples: number; haltWarmupSamples: number },
) {
  const bareFanOut = (): Promise<FanOutSample> => bareAll(bare, () => bareServer.cpuSeconds());
  await alternate(settings.haltWarmupSamples, () => driver.haltCycle(), bareFanOut);
  const { result, cpu } = await cpuDuring(servers, () => alternate(settings.haltSamples, () => driver.haltCycle(), bareFanOut));
  return {
    halt: fanOutSummary(result.a.map((s) => s.halt)),
    unhalt: fanOutSummary(result.a.map((s) => s.unhalt)),
    bareFanOut: fanOutSummary(result.b),
    cpu,
  };
}

export function haltSummary(phase: Awaited<ReturnType<typeof haltPhase>>) {
  const { halt, bareFanOut } = phase;
  const p50Ratio = round3(halt.last.p50Ms / bareFanOut.last.p50Ms);
  return {
    p50Ms: halt.last.p50Ms,
    p99Ms: halt.last.p99Ms,
    bareP50Ms: bareFanOut.last.p50Ms,
    bareP99Ms: bareFanOut.last.p99Ms,
    p50Ratio,
    p99Ratio: round3(halt.last.p99Ms / bareFanOut.last.p99Ms),
    aim: HALT_AIM,
    meetsAim: p50Ratio <= HALT_AIM,
    unhaltP50Ms: phase.unhalt.last.p50Ms,
    meanCpuMsPerFanOut: {
      actiongateServer: halt.meanServerCpuMs,
      bareServer: bareFanOut.meanServerCpuMs,
      sdkClient: halt.meanClientCpuMs,
      bareClient: bareFanOut.meanClientCpuMs,
    },
  };
}
