import { readFileSync } from 'node:fs';
import { rmSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { startChildServer, type ChildServer } from '../support/childServer.js';
import { expectGrpcError } from '../support/grpcAssertions.js';
import { tempDataDir } from '../support/testServer.js';

const STATUSES = [
  ActionStatus.ACTION_STATUS_PENDING, ActionStatus.ACTION_STATUS_APPROVED, ActionStatus.ACTION_STATUS_RUNNING, ActionStatus.ACTION_STATUS_COMPLETED,
  ActionStatus.ACTION_STATUS_FAILED, ActionStatus.ACTION_STATUS_REJECTED, ActionStatus.ACTION_STATUS_TERMINATED, ActionStatus.ACTION_STATUS_EXPIRED,
];

function residentMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) / 1024;
}

/**
 * Every distinct length of a filter list once compiled and cached a new SQL
 * statement for good (3 GB for lengths 2 to 6,000). Lists are now one statement
 * shape each, and anything past the documented limit is refused before the store.
 */
describe('filter lists of every length', () => {
  let server: ChildServer;
  const dataDir = tempDataDir();
  beforeAll(async () => {
    server = await startChildServer(dataDir);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('leave the server\'s memory flat across thousands of distinct lengths', async () => {
    const client = server.client();
    const list = (length: number) => client.listActions({ statuses: Array.from({ length }, (_, i) => STATUSES[i % STATUSES.length]!), pageSize: 1 });
    const claim = (length: number) => client.execute({ executorId: 'memory-probe', actionTypes: Array.from({ length }, (_, i) => `type_${i}`) });
    // Warm up: the first calls load code and grow heaps that later calls reuse.
    for (let length = 1; length <= 100; length++) await list(length);
    const before = residentMiB(server.process.pid!);
    for (let round = 0; round < 10; round++) {
      for (let length = 1; length <= 100; length++) {
        await list(length);
        await claim(length);
      }
    }
    for (let length = 101; length <= 3000; length += 1) {
      await expectGrpcError(list(length), status.INVALID_ARGUMENT, 'statuses');
    }
    const after = residentMiB(server.process.pid!);
    // Each of the 4,900 calls above once left a compiled statement behind for good.
    expect(after - before).toBeLessThan(48);
  });
});
