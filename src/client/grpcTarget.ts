import { isIP } from 'node:net';
import type { ChannelOptions } from '@grpc/grpc-js';
import { ConfigError } from '../shared/ConfigError.js';
import { parseAddressList } from '../shared/parseAddress.js';

/** Calls spread over every replica that is up; one that goes down is left out until it is back. */
const ROUND_ROBIN = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });

/**
 * The grpc-js target for one server address or a comma-separated list of replicas.
 * A list becomes grpc-js's own static resolver (`ipv4:` / `ipv6:` with every address)
 * under round_robin, so the channel itself moves calls and streams off a replica
 * that died. A list names IP addresses: a DNS name with several addresses does the
 * same as one `--server` entry.
 */
export function grpcTarget(address: string): { target: string; options: ChannelOptions } {
  if (!address.includes(',')) return { target: address, options: {} };
  const addresses = parseAddressList('--server', address);
  const families = new Set(addresses.map((a) => isIP(a.host)));
  if (families.size !== 1 || families.has(0)) {
    throw new ConfigError('--server with several addresses takes IP addresses of one family (e.g. 10.0.0.1:50051,10.0.0.2:50051); give a DNS name with several addresses as one entry');
  }
  const target = families.has(4)
    ? `ipv4:${addresses.map((a) => `${a.host}:${a.port}`).join(',')}`
    : `ipv6:${addresses.map((a) => `[${a.host}]:${a.port}`).join(',')}`;
  return { target, options: { 'grpc.service_config': ROUND_ROBIN } };
}
