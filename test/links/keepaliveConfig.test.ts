import { describe, expect, it } from 'vitest';
import { loadServeConfig } from '../../src/cli/loadConfig.js';
import { loadExecutorConfig } from '../../src/executor/loadExecutorConfig.js';
import { DEFAULT_CONFIG } from '../../src/server/ServerConfig.js';

describe('keepalive and disconnect-grace settings', () => {
  it('default to a ping every 10 s answered within 5 s, on the server and the executor', () => {
    expect(DEFAULT_CONFIG).toMatchObject({ keepaliveTimeMs: 10_000, keepaliveTimeoutMs: 5000 });
    expect(loadServeConfig([], {}).config).toMatchObject({ keepaliveTimeMs: 10_000, keepaliveTimeoutMs: 5000 });
    expect(loadExecutorConfig(['--executor-id', 'w'], {})).toMatchObject({ keepaliveTimeMs: 10_000, keepaliveTimeoutMs: 5000, disconnectGraceMs: null });
  });

  it('take flags, 0 turning pings off', () => {
    expect(loadServeConfig(['--keepalive-time-ms', '0', '--keepalive-timeout-ms', '2500'], {}).config).toMatchObject({ keepaliveTimeMs: 0, keepaliveTimeoutMs: 2500 });
    expect(loadExecutorConfig(['--executor-id', 'w', '--keepalive-time-ms', '3000', '--keepalive-timeout-ms', '1000', '--disconnect-grace-ms', '0'], {}))
      .toMatchObject({ keepaliveTimeMs: 3000, keepaliveTimeoutMs: 1000, disconnectGraceMs: 0 });
  });

  it.each([
    [['--keepalive-time-ms=-1'], '--keepalive-time-ms must be a whole number from 0 to 86400000, got "-1"'],
    [['--keepalive-timeout-ms', '0'], '--keepalive-timeout-ms must be a whole number from 1 to 86400000, got "0"'],
    [['--keepalive-time-ms', '1.5'], '--keepalive-time-ms must be a whole number'],
  ])('serve refuses %j', (argv, message) => {
    expect(() => loadServeConfig(argv, {})).toThrow(message);
  });

  it.each([
    [['--keepalive-time-ms', 'soon'], '--keepalive-time-ms must be a whole number from 0 to 86400000, got "soon"'],
    [['--keepalive-timeout-ms', '86400001'], '--keepalive-timeout-ms must be a whole number from 1 to 86400000'],
    [['--disconnect-grace-ms=-5'], '--disconnect-grace-ms must be a whole number from 0 to 3600000, got "-5"'],
  ])('the executor refuses %j', (argv, message) => {
    expect(() => loadExecutorConfig(['--executor-id', 'w', ...argv], {})).toThrow(message);
  });
});
