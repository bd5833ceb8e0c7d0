import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ActionClient } from '../../src/client/ActionClient.js';
import { DEFAULT_CONFIG } from '../../src/server/ServerConfig.js';
import { startServer, type RunningServer } from '../../src/server/startServer.js';
import { redactedUrl } from '../../src/store/postgres/connectionConfig.js';
import { PostgresActionStore } from '../../src/store/postgres/PostgresActionStore.js';
import { freshDatabase } from '../support/postgres.js';
import { waitFor } from '../support/waitFor.js';

describe('metrics of replicas sharing one database', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const replica = async (url: string): Promise<{ server: RunningServer; client: ActionClient }> => {
    const store = await PostgresActionStore.open(url);
    const config = { ...DEFAULT_CONFIG, listen: '127.0.0.1:0', httpListen: '127.0.0.1:0', logLevel: 'silent' as const, shutdownGraceMs: 2000 };
    const server = await startServer(config, store, pino({ level: 'silent' }), { store: 'postgres', database: redactedUrl(url) });
    cleanups.push(() => server.shutdown());
    const client = new ActionClient(server.address);
    cleanups.push(() => client.close());
    return { server, client };
  };

  it('each replica counts the transitions it committed, not those it heard of from the others', async () => {
    const database = await freshDatabase();
    cleanups.push(() => database.drop());
    const a = await replica(database.url);
    const b = await replica(database.url);
    const proposal = { actionType: 'rerun_healthcheck', node: 'n1', service: 'api' };
    await a.client.propose(proposal);
    await a.client.propose(proposal);
    await b.client.propose(proposal);

    // A's history feed hears B's proposal through the same path the counters used to.
    const heardOnA: string[] = [];
    const watching = a.client.watchActions({}).subscribe((message) => heardOnA.push(message.event!.actionId));
    cleanups.push(() => watching.unsubscribe());
    await waitFor(async () => heardOnA.length, (n) => n === 3, { what: 'A to hear all three proposals' });

    const pendingCounted = async (server: RunningServer): Promise<string> => {
      const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
      return /^actiongate_transitions_total\{to="PENDING"\} (\d+)$/m.exec(text)?.[1] ?? 'none';
    };
    expect(await pendingCounted(a.server)).toBe('2');
    expect(await pendingCounted(b.server)).toBe('1');
  });
});
