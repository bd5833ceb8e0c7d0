// npm run bench:postgres [-- --concurrency 64 --channels 8 --jit-warmup-ms 3000 --warmup-ms 500 --duration-ms 5000
//                         --jobs 20000 --send-batch 1000 --fetch-batch 100 --boss-workers 4]
//
// Prints one JSON report on stdout (progress goes to stderr). On one PostgreSQL server
// (ACTIONGATE_TEST_DATABASE_URL, else the local cluster, as the tests find it), in one run:
//   actiongate: full lifecycles (Propose, Approve, Execute, Complete: four durable gRPC calls)
//     per second against one replica, then against two replicas sharing the database
//     (the SDK's --server list form, round-robin), each `node bin/actiongate.js serve --database-url`.
//   the gRPC ceiling: "bare lifecycles" per second against a bare grpc-js server (bench/echoServer.ts):
//     the same four calls in sequence, each carrying the bytes a real lifecycle's call carried both
//     ways, under the same load (concurrency, channels, windows). No store and no decoding: what
//     four grpc-js calls per lifecycle allow on this machine whatever the database does.
//   pg-boss: jobs per second for send (insert(), batches of --send-batch), then fetch
//     (batchSize --fetch-batch) + complete (the ids of each fetch in one call), from
//     --boss-workers loops: the batching pg-boss's documentation recommends for throughput.
// Each side gets a fresh database of its own on the same server.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import PgBoss from 'pg-boss';
import { freshDatabase, testPostgres, type TestDatabase } from '../test/support/postgres.js';
import { REPO } from './benchPaths.js';
import { freePort, startChildServer, type ChildServer } from './childServer.js';
import { bareLifecycleOperation, captureLifecycle, startBareLifecycleServer, type WireStep } from './bareLifecycle.js';
import { ActionClientPool, RawClientPool } from './clientPool.js';
import { commandCpuSeconds } from './cpuTime.js';
import { intReader } from './intOption.js';
import { runLoad, type LoadReport } from './loadGenerator.js';
import { machineInfo, round3 } from './machineInfo.js';
import { lifecycleOperation, PROPOSAL } from './lifecycleWorkload.js';
import type { Operation } from './loadGenerator.js';

const DEADLINE_MS = 30_000;
const QUEUE = 'bench';

function settingsFromArgs() {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string', default: '64' },
      channels: { type: 'string', default: '8' },
      'jit-warmup-ms': { type: 'string', default: '3000' },
      'warmup-ms': { type: 'string', default: '500' },
      'duration-ms': { type: 'string', default: '5000' },
      jobs: { type: 'string', default: '20000' },
      'send-batch': { type: 'string', default: '1000' },
      'fetch-batch': { type: 'string', default: '100' },
      'boss-workers': { type: 'string', default: '4' },
    },
    strict: true,
  });
  const int = intReader<keyof typeof values>(values);
  return {
    concurrency: int('concurrency', 1, 1024),
    channels: int('channels', 1, 64),
    jitWarmupMs: int('jit-warmup-ms', 0, 30_000),
    warmupMs: int('warmup-ms', 0, 10_000),
    durationMs: int('duration-ms', 500, 60_000),
    jobs: int('jobs', 100, 1_000_000),
    sendBatch: int('send-batch', 1, 10_000),
    fetchBatch: int('fetch-batch', 1, 10_000),
    bossWorkers: int('boss-workers', 1, 64),
  };
}
type Settings = ReturnType<typeof settingsFromArgs>;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function replica(database: TestDatabase): Promise<{ server: ChildServer; args: string[] }> {
  const address = `127.0.0.1:${await freePort()}`;
  const args = ['bin/actiongate.js', 'serve', '--listen', address, '--database-url', database.url, '--log-level', 'warn'];
  return { server: await startChildServer(`replica ${address}`, args, address, REPO), args };
}

/** A JIT warmup window (unmeasured), then the measured one. */
async function measure(operation: Operation, servers: readonly ChildServer[], settings: Settings): Promise<LoadReport> {
  const serverCpuSeconds = (): number => servers.reduce((sum, s) => sum + s.cpuSeconds(), 0);
  // Every process of a PostgreSQL server on this machine (all its databases); 0 for one elsewhere.
  const databaseCpuSeconds = (): number => commandCpuSeconds('postgres');
  if (settings.jitWarmupMs > 0) await runLoad(operation, { ...settings, warmupMs: 0, durationMs: settings.jitWarmupMs, serverCpuSeconds, databaseCpuSeconds });
  return runLoad(operation, { ...settings, serverCpuSeconds, databaseCpuSeconds });
}

/** Lifecycles per second through `address` (one replica, or several comma-separated). */
async function measureLifecycles(address: string, servers: readonly ChildServer[], settings: Settings): Promise<LoadReport> {
  const pool = new ActionClientPool(address, settings.channels);
  try {
    return await measure(lifecycleOperation(pool, DEADLINE_MS), servers, settings);
  } finally {
    pool.close();
  }
}

/** Bare lifecycles per second: the ceiling four grpc-js calls per lifecycle put on this machine. */
async function measureCeiling(steps: readonly WireStep[], settings: Settings): Promise<{ report: LoadReport; command: string }> {
  const { server, command } = await startBareLifecycleServer(steps);
  const pool = new RawClientPool(server.address, settings.channels, DEADLINE_MS);
  try {
    return { report: await measure(bareLifecycleOperation(pool, steps), [server], settings), command };
  } finally {
    pool.close();
    await server.stop();
  }
}

function summary(report: LoadReport) {
  return {
    lifecyclesPerSecond: report.operationsPerSecond,
    durableRpcsPerSecond: round3(report.operationsPerSecond * 4),
    failedOperations: report.failedOperations,
    errors: report.errors,
    latency: report.latency,
    serverCpuCores: report.serverCpuCores,
    clientCpuCores: report.clientCpuCores,
    postgresCpuCores: report.databaseCpuCores,
    otherCpuCores: report.otherCpuCores,
  };
}

/** pg-boss on its own database: send with insert() batches, then fetch + complete in batches. */
async function measurePgBoss(database: TestDatabase, settings: Settings) {
  const boss = new PgBoss({ connectionString: database.url, max: 10, supervise: false, schedule: false });
  boss.on('error', (err: Error) => log(`pg-boss: ${err.message}`));
  await boss.start();
  try {
    await boss.createQueue(QUEUE);
    const sendStart = performance.now();
    for (let sent = 0; sent < settings.jobs; sent += settings.sendBatch) {
      const count = Math.min(settings.sendBatch, settings.jobs - sent);
      await boss.insert(Array.from({ length: count }, (_, i) => ({ name: QUEUE, data: { ...PROPOSAL.payload, n: sent + i } })));
    }
    const sendSeconds = (performance.now() - sendStart) / 1000;
    log(`pg-boss: sent ${settings.jobs} jobs in ${round3(sendSeconds)} s`);

    let completed = 0;
    const consumeStart = performance.now();
    await Promise.all(Array.from({ length: settings.bossWorkers }, async () => {
      for (;;) {
        const jobs = await boss.fetch(QUEUE, { batchSize: settings.fetchBatch });
        if (jobs.length === 0) return;
        await boss.complete(QUEUE, jobs.map((job) => job.id));
        completed += jobs.length;
      }
    }));
    const consumeSeconds = (performance.now() - consumeStart) / 1000;
    if (completed !== settings.jobs) throw new Error(`pg-boss completed ${completed} of ${settings.jobs} jobs`);
    log(`pg-boss: fetched and completed ${completed} jobs in ${round3(consumeSeconds)} s`);
    return {
      jobs: settings.jobs,
      sendJobsPerSecond: round3(settings.jobs / sendSeconds),
      fetchCompleteJobsPerSecond: round3(settings.jobs / consumeSeconds),
      /** A job's whole life (send, fetch, complete), as a lifecycle is an action's. */
      jobsPerSecond: round3(settings.jobs / (sendSeconds + consumeSeconds)),
      sendSeconds: round3(sendSeconds),
      fetchCompleteSeconds: round3(consumeSeconds),
    };
  } finally {
    await boss.stop({ graceful: false, close: true, wait: true });
  }
}

async function main(): Promise<void> {
  const settings = settingsFromArgs();
  const startedAt = new Date().toISOString();
  const machine = machineInfo(REPO);
  const serverUrl = await testPostgres();
  const actiongateDb = await freshDatabase();
  const bossDb = await freshDatabase();
  const servers: ChildServer[] = [];
  try {
    const a = await replica(actiongateDb);
    servers.push(a.server);
    const steps = await captureLifecycle(a.server.address, DEADLINE_MS);
    const one = await measureLifecycles(a.server.address, [a.server], settings);
    log(`one replica: ${one.operationsPerSecond} lifecycles/s, server ${one.serverCpuCores} cores, postgres ${one.databaseCpuCores}, others ${one.otherCpuCores}`);
    const b = await replica(actiongateDb);
    servers.push(b.server);
    const two = await measureLifecycles(`${a.server.address},${b.server.address}`, servers, settings);
    log(`two replicas: ${two.operationsPerSecond} lifecycles/s, servers ${two.serverCpuCores} cores, postgres ${two.databaseCpuCores}, others ${two.otherCpuCores}`);
    for (const server of servers.splice(0)) await server.stop();
    const ceiling = await measureCeiling(steps, settings);
    log(`bare grpc-js: ${ceiling.report.operationsPerSecond} bare lifecycles/s, server ${ceiling.report.serverCpuCores} cores, others ${ceiling.report.otherCpuCores}`);
    const pgBoss = await measurePgBoss(bossDb, settings);

    const report = {
      benchmark: 'postgres',
      startedAt,
      machine: { ...machine, loadAverageAtEnd: os.loadavg().map(round3), pg: versionOf('pg'), pgBoss: versionOf('pg-boss') },
      settings: {
        ...settings,
        postgres: redact(serverUrl),
        replica: `node ${a.args.join(' ').replace(actiongateDb.url, '<fresh database>')}`,
        load: 'one closed-loop worker per unit of concurrency, each running whole lifecycles back to back over `channels` SDK ' +
          'clients; with two replicas each client holds the list of both addresses (round_robin); warmup, then a fixed window',
        pgBossMethod: 'insert() in batches of send-batch, then boss-workers loops of fetch(batchSize: fetch-batch) + complete(ids)',
        bareServer: ceiling.command,
        ceilingMethod: 'a bare lifecycle is four unary calls in sequence to the bare grpc-js server (bench/echoServer.ts, ' +
          'no store, messages not decoded), each sending the bytes one real Propose, Approve, Execute and Complete sent ' +
          'to a replica at the start of this run and answered with the bytes that replica answered; sent pre-encoded by ' +
          'raw grpc-js clients (replies not decoded, where the SDK decodes them), so if anything the ceiling is ' +
          'generous; same concurrency, channels, warmups and window as the lifecycles',
        bytes: Object.fromEntries(steps.map((step) => [step.rpc, { request: step.request.length, response: step.reply.length }])),
      },
      summary: {
        lifecyclesPerSecondOneReplica: one.operationsPerSecond,
        lifecyclesPerSecondTwoReplicas: two.operationsPerSecond,
        pgBossJobsPerSecond: pgBoss.jobsPerSecond,
        grpcCeilingLifecyclesPerSecond: ceiling.report.operationsPerSecond,
        lifecyclesToCeilingRatio: round3(one.operationsPerSecond / ceiling.report.operationsPerSecond),
        /** Whether even a store that cost nothing could meet the pg-boss aim on this machine with grpc-js. */
        ceilingReachesPgBoss: ceiling.report.operationsPerSecond >= pgBoss.jobsPerSecond,
        oneReplicaToPgBoss: round3(one.operationsPerSecond / pgBoss.jobsPerSecond),
        twoReplicasToOne: round3(two.operationsPerSecond / one.operationsPerSecond),
        meetsPgBossAim: one.operationsPerSecond >= pgBoss.jobsPerSecond,
        meetsReplicaAim: two.operationsPerSecond >= one.operationsPerSecond,
      },
      actiongate: { oneReplica: summary(one), twoReplicas: summary(two) },
      grpcCeiling: {
        bareLifecyclesPerSecond: ceiling.report.operationsPerSecond,
        rpcsPerSecond: round3(ceiling.report.operationsPerSecond * 4),
        failedOperations: ceiling.report.failedOperations,
        errors: ceiling.report.errors,
        latency: ceiling.report.latency,
        serverCpuCores: ceiling.report.serverCpuCores,
        clientCpuCores: ceiling.report.clientCpuCores,
        postgresCpuCores: ceiling.report.databaseCpuCores,
        otherCpuCores: ceiling.report.otherCpuCores,
      },
      pgBoss,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    const failed = one.failedOperations + two.failedOperations + ceiling.report.failedOperations;
    if (failed > 0) throw new Error(`${failed} lifecycles failed; see "errors"`);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await actiongateDb.drop();
    await bossDb.drop();
  }
}

function versionOf(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:postgres failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
