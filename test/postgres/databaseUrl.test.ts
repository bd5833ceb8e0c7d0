import { describe, expect, it } from 'vitest';
import { ConfigError, loadServeConfig } from '../../src/cli/loadConfig.js';
import { runCli } from '../startup/runCli.js';
import { freePort } from '../support/freePort.js';

describe('--database-url', () => {
  it('takes a postgres URL from the flag or ACTIONGATE_DATABASE_URL, and refuses anything else naming the option', () => {
    expect(loadServeConfig(['--database-url', 'postgres://app@db/actiongate'], {}).databaseUrl).toBe('postgres://app@db/actiongate');
    expect(loadServeConfig([], { ACTIONGATE_DATABASE_URL: 'postgresql://app@db/ag' }).databaseUrl).toBe('postgresql://app@db/ag');
    expect(loadServeConfig([], {}).databaseUrl).toBeNull();
    expect(() => loadServeConfig(['--database-url', 'mysql://app@db/x'], {})).toThrow(ConfigError);
    expect(() => loadServeConfig(['--database-url', 'mysql://app@db/x'], {})).toThrow(/--database-url must be a postgres/);
  });

  it('serve exits 1 with one line naming the database when PostgreSQL cannot be reached, and never prints the password', async () => {
    const port = await freePort();
    const run = await runCli(['serve', '--listen', `127.0.0.1:${await freePort()}`, '--database-url', `postgres://app:s3cret@127.0.0.1:${port}/actiongate`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot reach PostgreSQL at postgres://app:***@127.0.0.1:${port}/actiongate`);
    expect(run.stderr).not.toContain('s3cret');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
