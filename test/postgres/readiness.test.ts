import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/server/ServerConfig.js';
import { startServer } from '../../src/server/startServer.js';
import { redactedUrl } from '../../src/store/postgres/connectionConfig.js';
import { PostgresActionStore } from '../../src/store/postgres/PostgresActionStore.js';
import { freshDatabase } from '../support/postgres.js';
import { waitFor } from '../support/waitFor.js';
import { startPgProxy } from './pgProxy.js';

describe('readiness on PostgreSQL', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('/readyz answers 503 while the database cannot be reached, and 200 again once it can', async () => {
    const database = await freshDatabase();
    cleanups.push(() => database.drop());
    const proxy = await startPgProxy(database.url);
    cleanups.push(() => proxy.close());
    const store = await PostgresActionStore.open(proxy.url);
    const config = { ...DEFAULT_CONFIG, listen: '127.0.0.1:0', httpListen: '127.0.0.1:0', logLevel: 'silent' as const, shutdownGraceMs: 2000 };
    const server = await startServer(config, store, pino({ level: 'silent' }), { store: 'postgres', database: redactedUrl(proxy.url) });
    cleanups.push(() => server.shutdown());
    const readyz = async (): Promise<string> => {
      const response = await fetch(`http://127.0.0.1:${server.httpPort}/readyz`);
      return `${response.status} ${(await response.text()).trim()}`;
    };
    expect(await readyz()).toBe('200 ready');

    await proxy.down();
    // The lease sweeper reads the database every second, so an idle replica finds out too.
    await waitFor(readyz, (r) => r === '503 not ready: the database cannot be reached', { what: '/readyz to say the database is gone', timeoutMs: 30_000 });
    await proxy.up();
    await waitFor(readyz, (r) => r === '200 ready', { what: '/readyz to recover by itself', timeoutMs: 30_000 });
  });
});
