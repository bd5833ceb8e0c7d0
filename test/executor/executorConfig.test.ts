import { describe, expect, it } from 'vitest';
import { ExecutorConfigError } from '../../src/executor/ExecutorConfigError.js';
import { DEFAULT_EXECUTOR_CONFIG, loadExecutorConfig } from '../../src/executor/loadExecutorConfig.js';
import { parseHandlersFile } from '../../src/executor/parseHandlersFile.js';
import { resolveActionTypes } from '../../src/executor/resolveActionTypes.js';

function configError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ExecutorConfigError);
    return (err as Error).message;
  }
  throw new Error('expected an ExecutorConfigError');
}

describe('loadExecutorConfig', () => {
  it('writes out every default and needs only an executor id', () => {
    expect(loadExecutorConfig(['--executor-id', 'w1'], {})).toEqual({ ...DEFAULT_EXECUTOR_CONFIG, executorId: 'w1', stateDir: 'executor-state/w1' });
  });

  it('derives the state directory from the executor id as one safe file name', () => {
    expect(loadExecutorConfig(['--executor-id', 'team/worker 1'], {}).stateDir).toBe('executor-state/team%2Fworker%201');
    expect(loadExecutorConfig(['--executor-id', '..'], {}).stateDir).toBe('executor-state/%2E%2E');
    expect(loadExecutorConfig(['--executor-id', 'w1'], { ACTIONGATE_STATE_DIR: '/var/lib/ag' }).stateDir).toBe('/var/lib/ag');
    expect(loadExecutorConfig(['--executor-id', 'w1', '--state-dir', '/run/ag'], { ACTIONGATE_STATE_DIR: '/var/lib/ag' }).stateDir).toBe('/run/ag');
  });

  it('takes flags over environment', () => {
    const env = { ACTIONGATE_SERVER: 'env-host:1', ACTIONGATE_EXECUTOR_ID: 'env-id', ACTIONGATE_ACTION_TYPES: 'rerun_healthcheck', ACTIONGATE_LOG_LEVEL: 'warn', ACTIONGATE_HANDLERS: '/etc/h.json' };
    expect(loadExecutorConfig([], env)).toMatchObject({ server: 'env-host:1', executorId: 'env-id', actionTypes: ['rerun_healthcheck'], logLevel: 'warn', handlersFile: '/etc/h.json' });
    const config = loadExecutorConfig(
      ['--server', '10.0.0.1:7000', '--executor-id', 'flag-id', '--action-types', 'a_b, c ,a_b', '--lease-ttl-seconds', '9', '--concurrency', '4', '--poll-wait-seconds', '60', '--shutdown-grace-seconds', '0', '--log-level', 'debug'],
      env,
    );
    expect(config).toEqual({
      server: '10.0.0.1:7000', executorId: 'flag-id', actionTypes: ['a_b', 'c'], handlersFile: '/etc/h.json', leaseTtlSeconds: 9, concurrency: 4,
      pollWaitSeconds: 60, shutdownGraceSeconds: 0, keepaliveTimeMs: 10_000, keepaliveTimeoutMs: 5000, disconnectGraceMs: null, logLevel: 'debug', stateDir: 'executor-state/flag-id',
      connection: DEFAULT_EXECUTOR_CONFIG.connection,
    });
  });

  it.each([
    [[], '--executor-id is required'],
    [['--executor-id', '   '], '--executor-id is required'],
    [['--executor-id', 'x'.repeat(257)], 'at most 256 characters'],
    [['--executor-id', 'w', '--server', 'no-port'], '--server must be host:port, got "no-port"'],
    [['--executor-id', 'w', '--server', 'h:99999'], '--server must be host:port'],
    [['--executor-id', 'w', '--lease-ttl-seconds', '0'], '--lease-ttl-seconds must be a whole number from 1 to 3600, got "0"'],
    [['--executor-id', 'w', '--lease-ttl-seconds', '1.5'], '--lease-ttl-seconds must be a whole number'],
    [['--executor-id', 'w', '--lease-ttl-seconds', '3601'], 'from 1 to 3600'],
    [['--executor-id', 'w', '--concurrency', 'NaN'], '--concurrency must be a whole number from 1 to 256, got "NaN"'],
    [['--executor-id', 'w', '--concurrency', ''], '--concurrency must be a whole number'],
    [['--executor-id', 'w', '--poll-wait-seconds', '0'], '--poll-wait-seconds must be a whole number from 1 to 60'],
    [['--executor-id', 'w', '--shutdown-grace-seconds=-1'], '--shutdown-grace-seconds must be a whole number from 0'],
    [['--executor-id', 'w', '--log-level', 'loud'], '--log-level must be one of'],
    [['--executor-id', 'w', '--action-types', ' , '], '--action-types must name at least one action type'],
    [['--executor-id', 'w', '--action-types', 'Redeploy'], '"Redeploy" is not an action type name'],
    [['--executor-id', 'w', '--handlers', ''], '--handlers must name a file'],
    [['--executor-id', 'w', '--state-dir', ' '], '--state-dir must name a directory'],
    [['--executor-id', 'w', '--bogus'], "Unknown option '--bogus'"],
    [['--executor-id', 'w', 'stray'], 'stray'],
  ])('refuses %j', (argv, message) => {
    expect(configError(() => loadExecutorConfig(argv, {}))).toContain(message);
  });
});

describe('parseHandlersFile', () => {
  const parse = (value: unknown): ReturnType<typeof parseHandlersFile> => parseHandlersFile(JSON.stringify(value), 'h.json');

  it('reads command, http and simulate handlers with their defaults', () => {
    const specs = parse({
      redeploy_service: { command: ['/bin/redeploy', '--now'], timeoutSeconds: 60 },
      rerun_healthcheck: { http: { url: 'https://ops.example/check' } },
      collect_diagnostics: { simulate: { stepDelayMs: 10 } },
      rerun_deployment_stage: { simulate: true },
      custom_type: { http: { url: 'http://127.0.0.1:8080/x', method: 'PUT', timeoutSeconds: 2, headers: { Authorization: 'Bearer t' } } },
    });
    expect(Object.fromEntries(specs)).toEqual({
      redeploy_service: { kind: 'command', command: ['/bin/redeploy', '--now'], timeoutSeconds: 60, killGraceSeconds: 5 },
      rerun_healthcheck: { kind: 'http', url: 'https://ops.example/check', method: 'POST', timeoutSeconds: 30, headers: {} },
      collect_diagnostics: { kind: 'simulate', stepDelayMs: 10 },
      rerun_deployment_stage: { kind: 'simulate', stepDelayMs: 200 },
      custom_type: { kind: 'http', url: 'http://127.0.0.1:8080/x', method: 'PUT', timeoutSeconds: 2, headers: { Authorization: 'Bearer t' } },
    });
  });

  it('names the file and the problem for bad JSON', () => {
    expect(configError(() => parseHandlersFile('{"a":', 'h.json'))).toMatch(/^h\.json is not valid JSON/);
    expect(configError(() => parse(['redeploy_service']))).toContain('h.json must hold a JSON object from action type to handler');
  });

  it.each([
    [{ 'Bad-Type': { simulate: true } }, '"Bad-Type" is not an action type name'],
    [{ redeploy_service: 'run it' }, 'h.json: redeploy_service must be an object with one of "command", "http" or "simulate"'],
    [{ redeploy_service: {} }, 'exactly one of "command", "http" or "simulate", found none'],
    [{ redeploy_service: { command: ['x'], http: { url: 'http://a' } } }, 'found command and http'],
    [{ redeploy_service: { command: [] } }, 'redeploy_service.command must be a non-empty array of strings'],
    [{ redeploy_service: { command: 'redeploy --now' } }, 'program first (no shell)'],
    [{ redeploy_service: { command: ['x', 3] } }, 'non-empty array of strings'],
    [{ redeploy_service: { command: ['x'], timeoutSeconds: 0 } }, 'redeploy_service.timeoutSeconds must be a number from 0.001 to 86400, got 0'],
    [{ redeploy_service: { command: ['x'], timeoutSeconds: '10' } }, 'timeoutSeconds must be a number'],
    [{ redeploy_service: { command: ['x'], killGraceSeconds: -1 } }, 'killGraceSeconds must be a number from 0'],
    [{ redeploy_service: { command: ['x'], timeout: 10 } }, 'unknown key "timeout"; allowed: command, timeoutSeconds, killGraceSeconds'],
    [{ rerun_healthcheck: { http: 'https://x' } }, 'rerun_healthcheck.http must be an object'],
    [{ rerun_healthcheck: { http: { url: 'ftp://x/y' } } }, 'http.url must be an absolute http:// or https:// URL'],
    [{ rerun_healthcheck: { http: { url: '/relative' } } }, 'http.url must be an absolute'],
    [{ rerun_healthcheck: { http: { url: 'http://x', method: 'GET' } } }, 'http.method must be one of POST, PUT, PATCH'],
    [{ rerun_healthcheck: { http: { url: 'http://x', headers: { 'bad header': 'v' } } } }, 'header "bad header" needs a valid name'],
    [{ rerun_healthcheck: { http: { url: 'http://x', retries: 3 } } }, 'unknown key "retries"'],
    [{ custom_type: { simulate: true } }, 'there is no simulation for "custom_type"'],
    [{ collect_diagnostics: { simulate: { stepDelayMs: -5 } } }, 'simulate.stepDelayMs must be a number from 0'],
    [{ collect_diagnostics: { simulate: 'yes' } }, 'simulate must be true or {"stepDelayMs": N}'],
  ])('refuses %j', (value, message) => {
    expect(configError(() => parse(value))).toContain(message);
  });

  it('never echoes a header value in its errors', () => {
    const message = configError(() => parse({ rerun_healthcheck: { http: { url: 'http://x', headers: { authorization: 42 } } } }));
    expect(message).toContain('header "authorization"');
    expect(message).not.toContain('42');
  });
});

describe('resolveActionTypes', () => {
  const handled = ['rerun_healthcheck', 'collect_diagnostics', 'custom_type'];

  it('defaults to every handled type, sorted', () => {
    expect(resolveActionTypes(null, handled)).toEqual(['collect_diagnostics', 'custom_type', 'rerun_healthcheck']);
  });

  it('keeps the requested types when all have handlers', () => {
    expect(resolveActionTypes(['custom_type'], handled)).toEqual(['custom_type']);
  });

  it('refuses a requested type without a handler and says what to do', () => {
    const message = configError(() => resolveActionTypes(['custom_type', 'restart_database'], handled));
    expect(message).toContain('no handler for restart_database');
    expect(message).toContain('--handlers file');
  });
});
