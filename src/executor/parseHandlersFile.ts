import { ACTION_TYPE_PATTERN } from '../domain/catalog.js';
import { ExecutorConfigError } from './ExecutorConfigError.js';
import { SIMULATION_PLANS } from './handlers/simulationPlans.js';
import {
  DEFAULT_COMMAND_TIMEOUT_SECONDS, DEFAULT_HTTP_TIMEOUT_SECONDS, DEFAULT_KILL_GRACE_SECONDS, DEFAULT_STEP_DELAY_MS,
  type HandlerSpec, type HttpSpec,
} from './HandlerSpec.js';

const HTTP_METHODS: readonly HttpSpec['method'][] = ['POST', 'PUT', 'PATCH'];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const EXAMPLE = '{"redeploy_service": {"command": ["/usr/local/bin/redeploy"], "timeoutSeconds": 300}}';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(where: string, value: Json, allowed: readonly string[]): void {
  const unknown = Object.keys(value).find((key) => !allowed.includes(key));
  if (unknown !== undefined) throw new ExecutorConfigError(`${where}: unknown key "${unknown}"; allowed: ${allowed.join(', ')}`);
}

function number(where: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ExecutorConfigError(`${where} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function simulateSpec(where: string, entry: Json): HandlerSpec {
  const options = entry.simulate === true ? {} : entry.simulate;
  if (!isObject(options)) throw new ExecutorConfigError(`${where}.simulate must be true or {"stepDelayMs": N}`);
  onlyKeys(`${where}.simulate`, options, ['stepDelayMs']);
  return { kind: 'simulate', stepDelayMs: Math.round(number(`${where}.simulate.stepDelayMs`, options.stepDelayMs, DEFAULT_STEP_DELAY_MS, 0, 600_000)) };
}

function commandSpec(where: string, entry: Json): HandlerSpec {
  onlyKeys(where, entry, ['command', 'timeoutSeconds', 'killGraceSeconds']);
  const command = entry.command;
  if (!Array.isArray(command) || command.length === 0 || !command.every((part) => typeof part === 'string') || command[0] === '') {
    throw new ExecutorConfigError(`${where}.command must be a non-empty array of strings, program first (no shell), e.g. ["/usr/local/bin/redeploy", "--quiet"]`);
  }
  return {
    kind: 'command',
    command: command as string[],
    timeoutSeconds: number(`${where}.timeoutSeconds`, entry.timeoutSeconds, DEFAULT_COMMAND_TIMEOUT_SECONDS, 0.001, 86_400),
    killGraceSeconds: number(`${where}.killGraceSeconds`, entry.killGraceSeconds, DEFAULT_KILL_GRACE_SECONDS, 0, 3600),
  };
}

function headers(where: string, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) throw new ExecutorConfigError(`${where} must be an object of header names to string values`);
  for (const [name, text] of Object.entries(value)) {
    // Names only in messages: values may be credentials.
    if (!HEADER_NAME.test(name) || typeof text !== 'string') throw new ExecutorConfigError(`${where}: header "${name}" needs a valid name and a string value`);
  }
  return value as Record<string, string>;
}

function httpSpec(where: string, entry: Json): HandlerSpec {
  onlyKeys(where, entry, ['http']);
  const http = entry.http;
  if (!isObject(http)) throw new ExecutorConfigError(`${where}.http must be an object like {"url": "https://...", "method": "POST", "timeoutSeconds": 30}`);
  onlyKeys(`${where}.http`, http, ['url', 'method', 'timeoutSeconds', 'headers']);
  let url: URL;
  try {
    url = new URL(String(http.url));
  } catch {
    throw new ExecutorConfigError(`${where}.http.url must be an absolute http:// or https:// URL`);
  }
  if (typeof http.url !== 'string' || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ExecutorConfigError(`${where}.http.url must be an absolute http:// or https:// URL`);
  }
  const method = http.method ?? 'POST';
  if (!HTTP_METHODS.includes(method as HttpSpec['method'])) {
    throw new ExecutorConfigError(`${where}.http.method must be one of ${HTTP_METHODS.join(', ')} (the action goes in the body), got ${JSON.stringify(method)}`);
  }
  return {
    kind: 'http',
    url: http.url,
    method: method as HttpSpec['method'],
    timeoutSeconds: number(`${where}.http.timeoutSeconds`, http.timeoutSeconds, DEFAULT_HTTP_TIMEOUT_SECONDS, 0.001, 3600),
    headers: headers(`${where}.http.headers`, http.headers),
  };
}

function handlerSpec(where: string, type: string, entry: unknown): HandlerSpec {
  if (!isObject(entry)) throw new ExecutorConfigError(`${where} must be an object with one of "command", "http" or "simulate"`);
  const kinds = ['command', 'http', 'simulate'].filter((kind) => kind in entry);
  if (kinds.length !== 1) {
    throw new ExecutorConfigError(`${where} must have exactly one of "command", "http" or "simulate", found ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`);
  }
  if (kinds[0] === 'command') return commandSpec(where, entry);
  if (kinds[0] === 'http') return httpSpec(where, entry);
  onlyKeys(where, entry, ['simulate']);
  if (SIMULATION_PLANS[type] === undefined) {
    throw new ExecutorConfigError(`${where}: there is no simulation for "${type}"; simulations exist for ${Object.keys(SIMULATION_PLANS).join(', ')}`);
  }
  return simulateSpec(where, entry);
}

/**
 * A handlers file: a JSON object from action type to how it is handled, e.g.
 * `{"redeploy_service": {"command": ["prog", "arg"], "timeoutSeconds": 300},
 *   "rerun_healthcheck": {"http": {"url": "https://...", "method": "POST", "timeoutSeconds": 10}},
 *   "collect_diagnostics": {"simulate": {"stepDelayMs": 500}}}`.
 * Pure; every mistake is an ExecutorConfigError naming the file and the key.
 */
export function parseHandlersFile(text: string, source: string): Map<string, HandlerSpec> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ExecutorConfigError(`${source} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!isObject(parsed)) throw new ExecutorConfigError(`${source} must hold a JSON object from action type to handler, e.g. ${EXAMPLE}`);
  const specs = new Map<string, HandlerSpec>();
  for (const [type, entry] of Object.entries(parsed)) {
    if (!ACTION_TYPE_PATTERN.test(type)) throw new ExecutorConfigError(`${source}: "${type}" is not an action type name (lower_snake_case, at most 63 characters)`);
    specs.set(type, handlerSpec(`${source}: ${type}`, type, entry));
  }
  return specs;
}
