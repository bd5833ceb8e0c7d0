// npm run bench:killswitch [-- --samples 300 --warmup-samples 150 --halt-samples 25 --subscribers 1000 --channels 8
//                              --settle-ms 2000 --time-limit-s 240 --cpu-prof-dir DIR]
//
// How fast the kill switch reaches executors, against a bare grpc-js baseline measured in the same run.
// Prints one JSON report on stdout (progress goes to stderr). Two servers, each in its own child process,
// both compiled JavaScript run by plain node (bench/run.sh builds dist/ and .bench-build/ first), both with
// --expose-gc and bench/killswitchGcOnSignal.mjs preloaded (copied next to the compiled bench), for the memory readings:
//   actiongate: node bin/actiongate.js serve (dist/; SQLite in a fresh temp data dir, WAL fsynced before every answer)
//   bare:       node .bench-build/bench/killswitchBaseline.js (a stream method and a unary method that
//               writes one pre-encoded message to one or every open stream; no decoding, no work)
// This process is the operator and every executor: one operator channel for unary calls, and
// `channels` channels carrying the streams round-robin (each channel is one TCP connection), for
// both servers alike. An executor is a ControlSubscriber (the SDK) with its own executor id.
// Measured, actiongate and bare alternating sample by sample (ABBA order):
//   terminate: Terminate called -> the target's ActionGuard.signal aborted (SDK applied it), vs
//              Push(one stream) called -> that stream's message received; with 1 and with N subscribers.
//   halt:      Halt called -> the last of N subscribers' LocalControlState.halt$ says halted (and
//              Unhalt likewise), vs Push(all) called -> the last of N bare streams received it; once
//              with SDK defaults (every executor acks with an Ack RPC) and once with acknowledge:false.
//   memory:    after a full GC, server VmRSS (and this process's RSS and heap) before and after
//              N - 1 more idle subscribers connect, for both servers.
// Runs about 1-2 minutes on 2 cores; --time-limit-s bounds it, and it kills its children however it ends.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SubscribeResponse, TerminateResponse } from '../src/gen/actiongate/v1/control_service.js';
import { benchFile, REPO } from './benchPaths.js';
import { freePort, startChildServer, type ChildServer } from './childServer.js';
import { bareOne, KillSwitchDriver } from './killswitchDriver.js';
import { BareFleet, SubscriberFleet } from './killswitchFleets.js';
import { alternate, cpuDuring, haltPhase, haltSummary, latencyPair, memoryOf, terminateSummary } from './killswitchMeasure.js';
import { machineInfo, round3 } from './killswitchReport.js';
import { intReader } from './intOption.js';

/** Above this many cores busy with other work during a phase, the report says the machine was shared. */
const SHARED_MACHINE_CORES = 0.2;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

function settingsFromArgs() {
  const { values } = parseArgs({
    options: {
      samples: { type: 'string', default: '300' },
      'warmup-samples': { type: 'string', default: '150' },
      'halt-samples': { type: 'string', default: '25' },
      'halt-warmup-samples': { type: 'string', default: '3' },
      subscribers: { type: 'string', default: '1000' },
      channels: { type: 'string', default: '8' },
      'settle-ms': { type: 'string', default: '2000' },
      'time-limit-s': { type: 'string', default: '240' },
      'cpu-prof-dir': { type: 'string' },
    },
    strict: true,
  });
  const int = intReader<keyof typeof values>(values);
  return {
    samples: int('samples', 1, 10_000),
    warmupSamples: int('warmup-samples', 0, 10_000),
    haltSamples: int('halt-samples', 1, 1000),
    haltWarmupSamples: int('halt-warmup-samples', 0, 100),
    subscribers: int('subscribers', 2, 20_000),
    channels: int('channels', 1, 256),
    settleMs: int('settle-ms', 0, 30_000),
    timeLimitSeconds: int('time-limit-s', 10, 3600),
    cpuProfDir: values['cpu-prof-dir'] ?? null,
  };
}
type Settings = ReturnType<typeof settingsFromArgs>;

const METHOD = {
  terminate: 'untimed: Propose+Approve+Execute(action_id) a collect_diagnostics action for the target executor (subscriber 0) and ' +
    'take its ActionGuard; timed: from calling ControlClient.terminate to guard.signal aborting in the SDK. After each sample the ' +
    'bench waits (GetControlState polls, untimed) until the executor\'s Ack is recorded, so no trailing work overlaps the next sample',
  bare: 'timed: from calling the bare unary Push(stream 0) to that raw stream\'s data event (bytes not decoded)',
  halt: 'timed: from calling Halt(terminate_running=false) until every subscriber\'s LocalControlState.halt$ reports halted; then ' +
    '(acks on) GetControlState polls until all N acks are recorded; Unhalt timed and drained the same way. No action is RUNNING. ' +
    'Run twice: SDK defaults (each executor sends an Ack RPC per applied signal), and a fresh fleet with acknowledge:false',
  bareFanOut: 'timed: from calling Push(all) to the last of the N raw streams\' data events',
  cpuPerFanOut: 'CPU of this process (process.cpuUsage) and of the server (/proc/PID/stat, 10 ms ticks, so read the mean) from the ' +
    'call until the last arrival and the reply',
  order: 'actiongate and bare samples alternate one by one in ABBA order; warmup samples are not counted',
  memory: 'on a fresh server of each kind (started for this, stopped after): settleMs after the fleet is live, a full GC in the server ' +
    '(SIGUSR2, bench/killswitchGcOnSignal.mjs) and in this process, then the server\'s VmRSS (/proc/PID/status) and heapUsed+external, ' +
    'and this process\'s RSS and heapUsed; before (1 stream) and after (N streams); per-1000 figures scale the difference by 1000/(N-1). ' +
    'RSS moves with what V8 keeps reserved (a few MiB of spread); heapUsed+external is the live memory',
  otherProcessesCores: 'CPU used by everything else on the machine during a phase (/proc/stat minus this process and both servers), ' +
    'in cores: above ~0.2 on a 2-core machine the latencies of that phase are skewed',
};

/**
 * Memory per idle stream, on a fresh server of each kind (nothing measured on it yet, so its heap has
 * no slack left by earlier phases to absorb the streams): 1 stream, then N.
 */
async function memoryPhase(settings: Settings, nodeFlags: string[], bareArgsTail: string[], memoryDir: string) {
  const n = settings.subscribers;
  const dataDir = mkdtempSync(join(os.tmpdir(), 'actiongate-killswitch-memory-'));
  const servers: ChildServer[] = [];
  const closers: (() => unknown)[] = [];
  try {
    const address = `127.0.0.1:${await freePort()}`;
    const actiongate = await startChildServer('actiongate-memory', [...nodeFlags, 'bin/actiongate.js', 'serve', '--listen', address,
      '--data-dir', dataDir, '--log-level', 'warn'], address, REPO);
    servers.push(actiongate);
    const fleet = new SubscriberFleet(address, settings.channels, n, {});
    closers.push(() => fleet.stop());
    await fleet.grow(1, 'memory-executor');
    const actiongateMemory = await memoryOf(actiongate, () => fleet.grow(n, 'memory-executor'), n - 1, settings.settleMs, memoryDir);

    const bareAddress = `127.0.0.1:${await freePort()}`;
    const bareServer = await startChildServer('bare-memory', [...nodeFlags, ...bareArgsTail, '--listen', bareAddress], bareAddress, REPO);
    servers.push(bareServer);
    const bare = new BareFleet(bareAddress, settings.channels, n);
    closers.push(() => bare.stop());
    await bare.grow(1);
    const bareMemory = await memoryOf(bareServer, () => bare.grow(n), n - 1, settings.settleMs, memoryDir);
    return { actiongate: actiongateMemory, bare: bareMemory };
  } finally {
    for (const close of closers.reverse()) await close();
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const settings: Settings = settingsFromArgs();
  const startedAt = new Date().toISOString();
  const began = performance.now();
  const machine = machineInfo(REPO);
  const dataDir = mkdtempSync(join(os.tmpdir(), 'actiongate-killswitch-'));
  const scratch = mkdtempSync(join(os.tmpdir(), 'actiongate-killswitch-scratch-'));
  const cleanup = (): void => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  };
  // Bounded whatever happens: past the limit, give up; childServer.ts SIGKILLs the children on exit.
  setTimeout(() => {
    log(`bench:killswitch: over the ${settings.timeLimitSeconds} s limit, giving up`);
    cleanup();
    process.exit(2);
  }, settings.timeLimitSeconds * 1000).unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => (cleanup(), process.exit(130)));

  // Where the children's killswitchGcOnSignal.mjs writes its memory readings (children inherit the environment).
  process.env.KILLSWITCH_MEMORY_DIR = scratch;
  const servers: ChildServer[] = [];
  const closers: (() => unknown)[] = [];
  const n = settings.subscribers;
  const elapsed = (): string => `${((performance.now() - began) / 1000).toFixed(1)} s`;
  try {
    const address = `127.0.0.1:${await freePort()}`;
    // Both servers get the same node flags: an optional CPU profile, and a full GC on SIGUSR2 for the memory readings.
    const profile = settings.cpuProfDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', settings.cpuProfDir];
    const nodeFlags = [...profile, '--expose-gc', '--import', benchFile('killswitchGcOnSignal.mjs')];
    const serverArgs = [...nodeFlags, 'bin/actiongate.js', 'serve', '--listen', address, '--data-dir', dataDir, '--log-level', 'warn'];
    const actiongate = await startChildServer('actiongate', serverArgs, address, REPO);
    servers.push(actiongate);
    // SDK defaults: every applied signal is acknowledged with an Ack RPC.
    const fleet = new SubscriberFleet(address, settings.channels, n, {});
    const driver = new KillSwitchDriver(address, fleet, true, () => actiongate.cpuSeconds());
    closers.push(() => driver.close());
    await fleet.grow(1, 'bench-executor');

    // One real terminate: the bare server sends exactly the bytes actiongate put on the wire.
    const { response } = await driver.terminate();
    const messageBytes = SubscribeResponse.encode({ signal: response.signal }).finish();
    const replyBytes = TerminateResponse.encode(response).finish();
    writeFileSync(join(scratch, 'message.bin'), messageBytes);
    writeFileSync(join(scratch, 'reply.bin'), replyBytes);
    const bareArgsTail = [benchFile('killswitchBaseline.js'),
      '--message-file', join(scratch, 'message.bin'), '--reply-file', join(scratch, 'reply.bin')];
    const memory = await memoryPhase(settings, nodeFlags, bareArgsTail, scratch);
    log(`[${elapsed()}] memory per 1000 idle streams: actiongate server +${memory.actiongate.serverRssMiBPer1000} MiB RSS, ` +
      `bare +${memory.bare.serverRssMiBPer1000} MiB RSS`);

    const bareAddress = `127.0.0.1:${await freePort()}`;
    const bareArgs = [...nodeFlags, ...bareArgsTail, '--listen', bareAddress];
    const bareServer = await startChildServer('bare', bareArgs, bareAddress, REPO);
    servers.push(bareServer);
    const bare = new BareFleet(bareAddress, settings.channels, n);
    closers.push(() => bare.stop());
    await bare.grow(1);

    // grpc-js, ts-proto and rxjs paths get optimised by V8 only after some traffic: warm both, unmeasured.
    await alternate(settings.warmupSamples, () => driver.terminate(), () => bareOne(bare));
    log(`[${elapsed()}] warmup done (${settings.warmupSamples} samples each)`);

    const one = await cpuDuring(servers, () => alternate(settings.samples, () => driver.terminate(), () => bareOne(bare)));
    const terminateOne = latencyPair(one.result.a, one.result.b);
    log(`[${elapsed()}] 1 subscriber: terminate p50 ${terminateOne.terminateToApplied.p50Ms} p99 ${terminateOne.terminateToApplied.p99Ms} ms; ` +
      `bare p50 ${terminateOne.bareToReceived.p50Ms} p99 ${terminateOne.bareToReceived.p99Ms} ms`);

    await fleet.grow(n, 'bench-executor');
    await bare.grow(n);

    await alternate(Math.ceil(settings.warmupSamples / 3), () => driver.terminate(), () => bareOne(bare));
    const many = await cpuDuring(servers, () => alternate(settings.samples, () => driver.terminate(), () => bareOne(bare)));
    const terminateMany = latencyPair(many.result.a, many.result.b);
    log(`[${elapsed()}] ${n} subscribers: terminate p50 ${terminateMany.terminateToApplied.p50Ms} p99 ${terminateMany.terminateToApplied.p99Ms} ms; ` +
      `bare p50 ${terminateMany.bareToReceived.p50Ms} p99 ${terminateMany.bareToReceived.p99Ms} ms`);

    await driver.waitForSubscribers(n);
    const halts = await haltPhase(driver, bare, bareServer, servers, settings);
    log(`[${elapsed()}] halt (SDK defaults, acks on) to last of ${n}: p50 ${halts.halt.last.p50Ms} max ${halts.halt.last.maxMs} ms; ` +
      `bare fan-out p50 ${halts.bareFanOut.last.p50Ms} max ${halts.bareFanOut.last.maxMs} ms`);
    const reconnects = fleet.reconnects;
    await driver.close();

    // The same halt with executors that do not send Ack RPCs: in this one process, 1,000 executors' acks
    // compete for the CPU that receives the halt, which 1,000 separate executor processes would not.
    const quietFleet = new SubscriberFleet(address, settings.channels, n, { acknowledge: false });
    const quietDriver = new KillSwitchDriver(address, quietFleet, false, () => actiongate.cpuSeconds());
    closers.push(() => quietDriver.close());
    await quietFleet.grow(n, 'bench-quiet-executor');
    await quietDriver.waitForSubscribers(n);
    const quietHalts = await haltPhase(quietDriver, bare, bareServer, servers, settings);
    log(`[${elapsed()}] halt (acks off) to last of ${n}: p50 ${quietHalts.halt.last.p50Ms} max ${quietHalts.halt.last.maxMs} ms; ` +
      `bare fan-out p50 ${quietHalts.bareFanOut.last.p50Ms} max ${quietHalts.bareFanOut.last.maxMs} ms`);
    const totalReconnects = reconnects + quietFleet.reconnects;
    if (totalReconnects > 0) log(`warning: ${totalReconnects} subscriber streams broke and reconnected during the run`);

    const otherProcessesCores = {
      terminateOne: one.cpu.otherProcessesCores,
      terminateMany: many.cpu.otherProcessesCores,
      haltSdkDefaults: halts.cpu.otherProcessesCores,
      haltAcksOff: quietHalts.cpu.otherProcessesCores,
    };
    const report = {
      benchmark: 'killswitch',
      startedAt,
      durationSeconds: round3((performance.now() - began) / 1000),
      machine,
      settings: {
        ...settings,
        actiongateServer: `node ${serverArgs.join(' ')}`,
        bareServer: `node ${bareArgs.join(' ')}`,
        pids: { client: process.pid, actiongate: actiongate.pid, bare: bareServer.pid },
        store: 'SQLite (better-sqlite3), WAL fsynced before every answer, group commit; fresh temp data dir under machine.tmpdir',
        channels: {
          operator: 1,
          streams: settings.channels,
          note: `one grpc-js channel = one TCP connection (local subchannel pool). The operator channel carries Propose/Approve/` +
            `Execute/Terminate/Halt/Unhalt/GetControlState (actiongate) or Push (bare). Streams are spread round-robin over the ` +
            `${settings.channels} stream channels (about ${Math.ceil(n / settings.channels)} each); with 1 subscriber only the first ` +
            `is used. Each subscriber's Ack RPCs go over its own stream channel.`,
        },
        bytes: { streamMessage: messageBytes.length, unaryReply: replyBytes.length },
        method: METHOD,
      },
      summary: {
        terminateOneSubscriber: terminateSummary(terminateOne),
        terminateManySubscribers: { subscribers: n, ...terminateSummary(terminateMany) },
        haltToLastSdkDefaults: { subscribers: n, acks: true, ...haltSummary(halts) },
        haltToLastAcksOff: { subscribers: n, acks: false, ...haltSummary(quietHalts) },
        memoryPer1000IdleSubscribers: {
          actiongateServerRssMiB: memory.actiongate.serverRssMiBPer1000,
          bareServerRssMiB: memory.bare.serverRssMiBPer1000,
          actiongateServerHeapAndExternalMiB: memory.actiongate.serverHeapAndExternalMiBPer1000,
          bareServerHeapAndExternalMiB: memory.bare.serverHeapAndExternalMiBPer1000,
          sdkClientHeapMiB: memory.actiongate.clientHeapMiBPer1000,
          bareClientHeapMiB: memory.bare.clientHeapMiBPer1000,
          sdkClientRssMiB: memory.actiongate.clientRssMiBPer1000,
        },
        subscriberReconnects: totalReconnects,
        otherProcessesCores,
        machineShared: Object.values(otherProcessesCores).some((cores) => cores > SHARED_MACHINE_CORES),
        loadAverageAtEnd: os.loadavg().map(round3),
      },
      terminateOneSubscriber: { subscribers: 1, ...terminateOne, cpu: one.cpu },
      terminateManySubscribers: { subscribers: n, ...terminateMany, cpu: many.cpu },
      haltSdkDefaults: { subscribers: n, acks: true, ...halts },
      haltAcksOff: { subscribers: n, acks: false, ...quietHalts },
      memory,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    for (const close of closers.reverse()) await close();
    await Promise.all(servers.map((server) => server.stop()));
    cleanup();
  }
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench:killswitch failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    if (err instanceof Error && err.cause !== undefined) process.stderr.write(`cause: ${String((err.cause as Error).stack ?? err.cause)}\n`);
    process.exitCode = 1;
  })
  // Stops by itself even if some handle stayed open.
  .finally(() => setTimeout(() => process.exit(), 5000).unref());
