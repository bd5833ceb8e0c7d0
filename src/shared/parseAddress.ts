import { ConfigError } from './ConfigError.js';

export interface HostPort {
  /** A name, an IPv4 address, or an IPv6 address without its brackets. */
  readonly host: string;
  readonly port: number;
}

const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** `host:port` (IPv6 in brackets); ConfigError naming the option otherwise. */
export function parseAddress(option: string, raw: string): HostPort {
  const match = ADDRESS.exec(raw);
  const port = Number(match?.[2]);
  if (match === null || port > 65535) throw new ConfigError(`${option} must be host:port, got "${raw}"`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}
