// npm run bench:lifecycle [-- --rounds 9 --concurrency 64 --channels 8 --jit-warmup-ms 3000 --warmup-ms 500 --duration-ms 2000]
//                          [--profile-dir DIR]  (both servers run with --cpu-prof, profiles written there on exit)
//
// Prints one JSON report on stdout (progress goes to stderr). Two servers, each in
// its own child process, both compiled JavaScript run by plain node (bench/run.sh builds dist/ and .bench-build/ first):
//   durable: node bin/actiongate.js serve (dist/; SQLite in a fresh temp data dir, opened as the server always opens it)
//   bare:    node .bench-build/bench/echoServer.js (grpc-js, no decoding, no work)
// Load comes from this process: `concurrency` RPCs in flight at all times over
// `channels` grpc-js clients (one TCP connection each) used round-robin. Runs alternate
// between the servers, in the opposite order every other round, and the ratio is taken per round.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ActionStatus } from '../src/gen/actiongate/v1/action.js';
import { ProposeRequest, ProposeResponse } from '../src/gen/actiongate/v1/action_service.js';
import { benchFile, REPO } from './benchPaths.js';
import { freePort, startChildServer, type ChildServer } from './childServer.js';
import { ActionClientPool, RawClientPool } from './clientPool.js';
import { ECHO_SERVICE } from './echoServer.js';
import { runLoad, type LoadReport, type Operation } from './loadGenerator.js';
import { machineInfo, round3 } from './machineInfo.js';
import { median } from './percentiles.js';
import { intReader } from './intOption.js';
import { lifecycleOperation, PROPOSAL } from './lifecycleWorkload.js';

const PROPOSE_PATH = '/actiongate.v1.ActionService/Propose';
const DEADLINE_MS = 30_000;
const TINY_ECHO = Buffer.alloc(16, 7);
/** The aim: durable Propose at no less than three quarters of a bare grpc-js server answering the same bytes. */
const TARGET_RATIO = 0.75;
/** Above this many cores busy with other work during the windows, the report says the machine was shared. */
const SHARED_MACHINE_CORES = 0.2;


// Nine 2 s rounds rather than five of 3 s: the speed of the whole machine drifts by a
// quarter within seconds here (the bare server's rate too), and more, closer pairs give a
// steadier median ratio for about the same running time.
function settingsFromArgs() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '9' },
      concurrency: { type: 'string', default: '64' },
      channels: { type: 'string', default: '8' },
      'jit-warmup-ms': { type: 'string', default: '3000' },
      'warmup-ms': { type: 'string', default: '500' },
      'duration-ms': { type: 'string', default: '2000' },
      'profile-dir': { type: 'string' },
    },
    strict: true,
  });
  const int = intReader<keyof typeof values>(values);
  return {
    rounds: int('rounds', 1, 15),
    concurrency: int('concurrency', 1, 1024),
    channels: int('channels', 1, 64),
    jitWarmupMs: int('jit-warmup-ms', 0, 30_000),
    warmupMs: int('warmup-ms', 0, 10_000),
    durationMs: int('duration-ms', 500, 20_000),
    profileDir: values['profile-dir'] ?? null,
  };
}
type Settings = ReturnType<typeof settingsFromArgs>;

const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** The file system type under a directory (`stat -f`), to show that fsync reached a disk. */
function filesystemOf(dir: string): string {
  try {
    return execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

interface Phase {
  readonly name: string;
  readonly server: () => ChildServer;
  readonly operation: Operation;
  /** The figure the phase is read for: RPCs (or lifecycles) per second. */
  readonly rate: (report: LoadReport) => number;
}

async function main(): Promise<void> {
  const settings: Settings = settingsFromArgs();
  const dataDir = mkdtempSync(join(os.tmpdir(), 'actiongate-bench-'));
  const scratch = mkdtempSync(join(os.tmpdir(), 'actiongate-bench-scratch-'));
  const servers: ChildServer[] = [];
  const pools: { close(): void }[] = [];
  const startedAt = new Date().toISOString();
  const machine = machineInfo(REPO);
  try {
    const durableAddress = `127.0.0.1:${await freePort()}`;
    const profile = settings.profileDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', settings.profileDir];
    const durableArgs = [...profile, 'bin/actiongate.js', 'serve', '--listen', durableAddress, '--data-dir', dataDir, '--log-level', 'warn'];
    const durable = await startChildServer('durable', durableArgs, durableAddress, REPO);
    servers.push(durable);
    const durableRaw = new RawClientPool(durable.address, settings.channels, DEADLINE_MS);
    const sdk = new ActionClientPool(durable.address, settings.channels);
    pools.push(durableRaw, sdk);

    // One real Propose: its reply is what the bare server will send back, byte for byte.
    const proposeBytes = toBuffer(ProposeRequest.encode(PROPOSAL).finish());
    const proposeReply = await durableRaw.call(PROPOSE_PATH, proposeBytes);
    const decoded = ProposeResponse.decode(proposeReply);
    if (decoded.action?.status !== ActionStatus.ACTION_STATUS_PENDING) throw new Error('the durable server did not create a PENDING action');
    const replyFile = join(scratch, 'propose-response.bin');
    writeFileSync(replyFile, proposeReply);

    const echoAddress = `127.0.0.1:${await freePort()}`;
    const echoArgs = [...profile, benchFile('echoServer.js'), '--listen', echoAddress, '--reply-file', replyFile];
    const echo = await startChildServer('echo', echoArgs, echoAddress, REPO);
    servers.push(echo);
    const echoRaw = new RawClientPool(echo.address, settings.channels, DEADLINE_MS);
    pools.push(echoRaw);
    if (!(await echoRaw.call(ECHO_SERVICE.reply.path, proposeBytes)).equals(proposeReply)) throw new Error('the bare server answered wrong bytes');

    const lifecycle = lifecycleOperation(sdk, DEADLINE_MS);
    const phases: Record<string, Phase> = {
      echoProposeSized: {
        name: 'echoProposeSized',
        server: () => echo,
        operation: async (_worker, timed) => void (await timed('Reply', () => echoRaw.call(ECHO_SERVICE.reply.path, proposeBytes))),
        rate: (r) => r.rpcsPerSecond.Reply ?? 0,
      },
      durablePropose: {
        name: 'durablePropose',
        server: () => durable,
        operation: async (_worker, timed) => void (await timed('Propose', () => durableRaw.call(PROPOSE_PATH, proposeBytes))),
        rate: (r) => r.rpcsPerSecond.Propose ?? 0,
      },
      echoTiny: {
        name: 'echoTiny',
        server: () => echo,
        operation: async (_worker, timed) => void (await timed('Echo', () => echoRaw.call(ECHO_SERVICE.echo.path, TINY_ECHO))),
        rate: (r) => r.rpcsPerSecond.Echo ?? 0,
      },
      durableLifecycle: { name: 'durableLifecycle', server: () => durable, operation: lifecycle, rate: (r) => r.operationsPerSecond },
    };

    // grpc-js needs a few seconds of traffic before V8 has optimised its hot paths (the rate
    // still climbs 3-4x over the first 2-3 s of a fresh process here): warm every phase once, unmeasured.
    for (const phase of settings.jitWarmupMs > 0 ? Object.values(phases) : []) {
      const server = phase.server();
      await runLoad(phase.operation, { ...settings, warmupMs: 0, durationMs: settings.jitWarmupMs, serverCpuSeconds: () => server.cpuSeconds() });
    }
    log(`JIT warmup done (${settings.jitWarmupMs} ms per phase)`);

    const rounds: Record<string, LoadReport & { rate: number }>[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      // ABBA: the order flips every round so drift (page cache, JIT, a noisy neighbour) hits both sides alike.
      const order = round % 2 === 0
        ? ['echoProposeSized', 'durablePropose', 'echoTiny', 'durableLifecycle']
        : ['durablePropose', 'echoProposeSized', 'durableLifecycle', 'echoTiny'];
      const results: Record<string, LoadReport & { rate: number }> = {};
      for (const name of order) {
        const phase = phases[name]!;
        const server = phase.server();
        const report = await runLoad(phase.operation, { ...settings, serverCpuSeconds: () => server.cpuSeconds() });
        results[name] = { rate: phase.rate(report), ...report };
        const failed = report.failedOperations > 0 ? `, ${report.failedOperations} failed ${JSON.stringify(report.errors)}` : '';
        log(`round ${round + 1}/${settings.rounds} ${name}: ${phase.rate(report)}/s, server ${report.serverCpuCores} cores, ` +
          `client ${report.clientCpuCores} cores, others ${report.otherCpuCores} cores${failed}`);
      }
      rounds.push(results);
    }

    const ratios = rounds.map((r) => round3(r.durablePropose!.rate / r.echoProposeSized!.rate));
    const medianOf = (phase: string): number => median(rounds.map((r) => r[phase]!.rate));
    const lifecycleLatency = Object.fromEntries(['Propose', 'Approve', 'Execute', 'Complete'].map((rpc) => [rpc, {
      p50Ms: round3(median(rounds.map((r) => r.durableLifecycle!.latency[rpc]?.p50Ms ?? 0))),
      p99Ms: round3(median(rounds.map((r) => r.durableLifecycle!.latency[rpc]?.p99Ms ?? 0))),
    }]));
    const failedOperations = rounds.reduce((sum, r) => sum + Object.values(r).reduce((n, phase) => n + phase.failedOperations, 0), 0);
    const otherCores = rounds.flatMap((r) => Object.values(r).map((phase) => phase.otherCpuCores));
    const report = {
      benchmark: 'lifecycle',
      startedAt,
      machine: { ...machine, loadAverageAtEnd: os.loadavg().map(round3) },
      settings: {
        ...settings,
        deadlineMs: DEADLINE_MS,
        durableServer: `node ${durableArgs.join(' ')}`,
        durableStore: 'SQLite (better-sqlite3) opened by the server itself (src/store/sqlite/openDatabase.ts), group commit, ' +
          'WAL fdatasync before every answer (src/store/sqlite/WalSync.ts); ' +
          'fresh temp data dir (TMPDIR); a tmpfs there would make fsync free and the figures meaningless',
        dataDirFilesystem: filesystemOf(dataDir),
        bareServer: `node ${echoArgs.join(' ')}`,
        bytes: { proposeRequest: proposeBytes.length, proposeResponse: proposeReply.length, tinyEcho: TINY_ECHO.length },
        load: 'one closed-loop worker per unit of concurrency (so `concurrency` RPCs in flight), grpc-js clients in this ' +
          'process, one TCP connection per channel, round-robin; warmup, then a fixed window; RPCs finishing in the window count',
        ratioMethod: 'durablePropose RPCs/s divided by echoProposeSized RPCs/s of the same round; both sent with the same ' +
          'raw-bytes client (pre-encoded ProposeRequest, reply not decoded); the bare server answers with a real encoded ' +
          'ProposeResponse, so both directions carry the same bytes. echoTiny (16 B each way) is for reference only',
      },
      summary: {
        proposeToEchoRatioMedian: median(ratios),
        failedOperations,
        proposeToEchoRatios: ratios,
        proposeToEchoRatioOfMedians: round3(medianOf('durablePropose') / medianOf('echoProposeSized')),
        target: TARGET_RATIO,
        meetsTarget: median(ratios) >= TARGET_RATIO,
        proposeRpsMedian: medianOf('durablePropose'),
        echoProposeSizedRpsMedian: medianOf('echoProposeSized'),
        echoTinyRpsMedian: medianOf('echoTiny'),
        proposeToTinyEchoRatioMedian: median(rounds.map((r) => round3(r.durablePropose!.rate / r.echoTiny!.rate))),
        lifecyclesPerSecondMedian: medianOf('durableLifecycle'),
        lifecycleRpcLatencyMedianOfRounds: lifecycleLatency,
        // Cores other processes kept busy during the measured windows: the bench wants the machine to itself.
        otherCpuCoresMedian: median(otherCores),
        otherCpuCoresMax: Math.max(...otherCores),
        machineWasShared: median(otherCores) > SHARED_MACHINE_CORES,
        serverCpuMicrosPerRpcMedian: Object.fromEntries(Object.keys(phases).map((phase) => [
          phase, median(rounds.map((r) => r[phase]!.serverCpuMicrosPerRpc)),
        ])),
      },
      rounds: rounds.map((results, index) => ({ round: index + 1, proposeToEchoRatio: ratios[index], ...results })),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    // A rate made of refusals means nothing: fail the run so nobody quotes it.
    if (failedOperations > 0) throw new Error(`${failedOperations} operations failed; see "errors" in each phase`);
  } finally {
    for (const pool of pools) pool.close();
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:lifecycle failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  if (err instanceof Error && err.cause !== undefined) process.stderr.write(`cause: ${String((err.cause as Error).stack ?? err.cause)}\n`);
  process.exitCode = 1;
});
