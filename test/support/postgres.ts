import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import pg from 'pg';

/** The local cluster over its socket, as this user (see the README's PostgreSQL section). */
const LOCAL_URL = `postgresql://${userInfo().username}@localhost/postgres?host=/var/run/postgresql`;
const HOW_TO = [
  'these tests need PostgreSQL: set ACTIONGATE_TEST_DATABASE_URL to a database whose role may CREATE DATABASE',
  '(e.g. postgresql://USER:PASSWORD@127.0.0.1/postgres), or start the local cluster:',
  '`pg_ctlcluster 15 main start && su postgres -c "createuser -s root"`',
].join(' ');

export interface TestDatabase {
  /** A fresh, empty database of its own. */
  readonly url: string;
  readonly name: string;
  /** Drops it, ending any connection still open on it. */
  drop(): Promise<void>;
}

async function reachable(url: string): Promise<Error | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    return null;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    await client.end().catch(() => {});
  }
}

/** Starts the clusters pg_lsclusters lists as down; false when that cannot be done here. */
function startLocalClusters(): boolean {
  try {
    const listing = execFileSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' });
    const down = listing.split('\n').map((line) => line.trim().split(/\s+/)).filter((f) => f.length >= 4 && f[3] === 'down');
    for (const [version, cluster] of down) execFileSync('pg_ctlcluster', [version!, cluster!, 'start'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let server: Promise<string> | undefined;

/**
 * The server the tests use: ACTIONGATE_TEST_DATABASE_URL, else the local cluster, started
 * here if it is installed and stopped. Never skipped: no PostgreSQL is a failure saying how to get one.
 */
export function testPostgres(): Promise<string> {
  server ??= (async () => {
    const configured = process.env.ACTIONGATE_TEST_DATABASE_URL;
    const url = configured !== undefined && configured !== '' ? configured : LOCAL_URL;
    let failure = await reachable(url);
    if (failure !== null && url === LOCAL_URL && startLocalClusters()) failure = await reachable(url);
    if (failure !== null) throw new Error(`${HOW_TO} (connecting to ${url}: ${failure.message})`, { cause: failure });
    return url;
  })();
  return server;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new database on the test server (CREATE DATABASE), for one test file or one test. */
export async function freshDatabase(): Promise<TestDatabase> {
  const base = await testPostgres();
  const name = `actiongate_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await admin(base, (c) => c.query(`CREATE DATABASE ${name}`));
  return {
    url: withDatabase(base, name),
    name,
    drop: () => admin(base, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
