import { describe, expect, it } from 'vitest';
import { grpcTarget } from '../../src/client/grpcTarget.js';
import { loadExecutorConfig } from '../../src/executor/loadExecutorConfig.js';
import { ConfigError } from '../../src/shared/ConfigError.js';
import { parseAddressList } from '../../src/shared/parseAddress.js';

describe('several server addresses', () => {
  it('parses a comma-separated list, refusing a bad or repeated entry by the option name', () => {
    expect(parseAddressList('--server', '10.0.0.1:50051, 10.0.0.2:50052')).toEqual([{ host: '10.0.0.1', port: 50051 }, { host: '10.0.0.2', port: 50052 }]);
    expect(parseAddressList('--server', 'db:1')).toEqual([{ host: 'db', port: 1 }]);
    expect(() => parseAddressList('--server', '10.0.0.1:50051,')).toThrow(/--server must be host:port, got ""/);
    expect(() => parseAddressList('--server', '10.0.0.1:1,10.0.0.1:1')).toThrow(/--server names 10.0.0.1:1 twice/);
  });

  it('becomes one grpc-js target over every address, round-robin; one address stays as it is', () => {
    expect(grpcTarget('localhost:50051')).toEqual({ target: 'localhost:50051', options: {} });
    const list = grpcTarget('127.0.0.1:1,127.0.0.2:2');
    expect(list.target).toBe('ipv4:127.0.0.1:1,127.0.0.2:2');
    expect(JSON.parse(list.options['grpc.service_config'] as string)).toEqual({ loadBalancingConfig: [{ round_robin: {} }] });
    expect(grpcTarget('[::1]:1,[::2]:2').target).toBe('ipv6:[::1]:1,[::2]:2');
    expect(() => grpcTarget('a.example:1,b.example:2')).toThrow(ConfigError);
  });

  it('the executor takes the list form of --server', () => {
    expect(loadExecutorConfig(['--executor-id', 'w1', '--server', '127.0.0.1:1,127.0.0.1:2'], {}).server).toBe('127.0.0.1:1,127.0.0.1:2');
    expect(() => loadExecutorConfig(['--executor-id', 'w1', '--server', '127.0.0.1:1,nope'], {})).toThrow(/--server must be host:port/);
  });
});
