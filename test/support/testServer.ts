import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ActionClient } from '../../src/client/ActionClient.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../../src/server/ServerConfig.js';
import { startServer, type RunningServer } from '../../src/server/startServer.js';
import { SqliteActionStore } from '../../src/store/sqlite/SqliteActionStore.js';

export interface TestServer {
  readonly server: RunningServer;
  readonly address: string;
  readonly dataDir: string;
  readonly actions: ActionClient;
  /** Shuts the server down, closes clients and removes the data directory. */
  stop(): Promise<void>;
}

export function tempDataDir(prefix = 'actiongate-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A real server on 127.0.0.1 with a fresh SQLite data directory, and a real client. */
export async function startTestServer(overrides: Partial<ServerConfig> = {}, dataDir = tempDataDir()): Promise<TestServer> {
  const config: ServerConfig = { ...DEFAULT_CONFIG, listen: '127.0.0.1:0', dataDir, logLevel: 'silent', shutdownGraceMs: 2000, ...overrides };
  const log = pino({ level: config.logLevel });
  const store = SqliteActionStore.open(dataDir);
  const server = await startServer(config, store, log);
  const actions = new ActionClient(server.address);
  return {
    server,
    address: server.address,
    dataDir,
    actions,
    async stop() {
      actions.close();
      await server.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
