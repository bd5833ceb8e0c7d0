import { rmSync } from 'node:fs';
import { startChildServer, type ChildServer } from '../support/childServer.js';
import { freshDatabase, type TestDatabase } from '../support/postgres.js';
import { tempDataDir } from '../support/testServer.js';

/** `actiongate serve` processes sharing one fresh PostgreSQL database. */
export interface ReplicaSet {
  readonly database: TestDatabase;
  readonly replicas: ChildServer[];
  /** Every replica's address, comma-separated: the list form of --server. */
  addresses(): string;
  stop(): Promise<void>;
}

export async function startReplicaSet(count: number, extraArgs: readonly string[] = []): Promise<ReplicaSet> {
  const database = await freshDatabase();
  const dirs: string[] = [];
  const replicas: ChildServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(replicas.map((r) => r.stop()));
    await database.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i += 1) {
      const dir = tempDataDir('actiongate-replica-');
      dirs.push(dir);
      replicas.push(await startChildServer(dir, ['--database-url', database.url, ...extraArgs]));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { database, replicas, addresses: () => replicas.map((r) => r.address).join(','), stop };
}
