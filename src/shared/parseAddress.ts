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

/**
 * One address or several, comma-separated (`a:50051,b:50051`): replicas a client
 * may use. Each is checked as `parseAddress` checks it; the same one twice is refused.
 */
export function parseAddressList(option: string, raw: string): HostPort[] {
  const parts = raw.split(',').map((part) => part.trim());
  const addresses = parts.map((part) => parseAddress(option, part));
  const seen = new Set<string>();
  for (const [i, address] of addresses.entries()) {
    const key = `${address.host}:${address.port}`;
    if (seen.has(key)) throw new ConfigError(`${option} names ${parts[i]} twice`);
    seen.add(key);
  }
  return addresses;
}
