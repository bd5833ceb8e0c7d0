import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { NewAction } from '../../src/domain/action.js';
import type { ActionStore } from '../../src/store/ActionStore.js';
import { PostgresActionStore } from '../../src/store/postgres/PostgresActionStore.js';
import { DATABASE_FILE } from '../../src/store/sqlite/openDatabase.js';
import { SqliteActionStore } from '../../src/store/sqlite/SqliteActionStore.js';
import { freshDatabase } from '../support/postgres.js';
import { afterEach, beforeEach } from 'vitest';

export interface OpenedStore {
  readonly store: ActionStore;
  /** Edits one history event's reason behind the store's back, past its append-only guard. */
  tamperWithEvent(sequence: number, reason: string): Promise<void>;
  close(): Promise<void>;
}

export interface Backend {
  readonly name: string;
  open(): Promise<OpenedStore>;
}

/** Every store adapter the contract suite runs on: each test gets a fresh, empty store. */
export const BACKENDS: readonly Backend[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'actiongate-contract-'));
      const store = SqliteActionStore.open(dir);
      return {
        store,
        async tamperWithEvent(sequence, reason) {
          const db = new Database(join(dir, DATABASE_FILE));
          try {
            db.exec('DROP TRIGGER action_events_no_update');
            db.prepare('UPDATE action_events SET reason = ? WHERE sequence = ?').run(reason, sequence);
          } finally {
            db.close();
          }
        },
        async close() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      const database = await freshDatabase();
      const store = await PostgresActionStore.open(database.url);
      return {
        store,
        async tamperWithEvent(sequence, reason) {
          const client = new pg.Client({ connectionString: database.url });
          await client.connect();
          try {
            await client.query('ALTER TABLE action_events DISABLE TRIGGER action_events_append_only');
            await client.query('UPDATE action_events SET reason = $1 WHERE sequence = $2', [reason, sequence]);
          } finally {
            await client.end();
          }
        },
        async close() {
          await store.close();
          await database.drop();
        },
      };
    },
  },
];

let counter = 0;

/** A proposal as the server would build it after validation. */
export function newAction(overrides: Partial<NewAction> = {}): NewAction {
  counter += 1;
  return {
    proposedBy: 'agent-1',
    idempotencyKey: '',
    correlationId: `corr-${counter}`,
    node: 'node-a',
    service: 'api',
    actionType: 'rerun_healthcheck',
    riskLevel: 'SAFE',
    confidence: 0.9,
    approvalRequired: true,
    autonomousEligible: false,
    payload: { n: counter, text: 'ünïcode ✓' },
    rollbackReference: '',
    expiresAt: null,
    maxAttempts: 2,
    approvalsRequired: 1,
    ...overrides,
  };
}

/** Opens a fresh store of `backend` before each test of the enclosing describe (handed to `use`) and closes it after. */
export function freshStorePerTest(backend: Backend, use: (opened: OpenedStore) => void): void {
  let opened: OpenedStore | null = null;
  beforeEach(async () => {
    opened = await backend.open();
    use(opened);
  });
  afterEach(async () => {
    await opened?.close();
    opened = null;
  });
}
