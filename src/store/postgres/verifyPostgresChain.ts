import pg from 'pg';
import type { ChainCheck } from '../ActionStore.js';
import { connectionConfig } from './connectionConfig.js';
import { postgresStartupError } from './postgresStartupError.js';
import { verifyChain } from './sql/verifyChainSql.js';

/**
 * Checks the history's hash chain on one connection, in a read-only REPEATABLE READ
 * transaction: a stable view while replicas keep writing, and nothing migrated or changed.
 */
export async function verifyPostgresChain(databaseUrl: string): Promise<ChainCheck> {
  const client = new pg.Client(connectionConfig(databaseUrl));
  try {
    await client.connect();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const check = await verifyChain({ run: async (statement, values) => (await client.query({ text: statement.text, values: [...values] })).rows });
    await client.query('COMMIT');
    return check;
  } catch (err) {
    throw postgresStartupError(databaseUrl, err);
  } finally {
    await client.end().catch(() => {});
  }
}
