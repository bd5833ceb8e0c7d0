import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ControlSubscriber } from '../../src/client/ControlSubscriber.js';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { startChildServer, type ChildServer } from '../support/childServer.js';
import { freePort } from '../support/freePort.js';
import { expectGrpcError } from '../support/grpcAssertions.js';
import { waitFor } from '../support/waitFor.js';
import { reaches, runningAction } from '../killswitch/support.js';

const RESERVE_BYTES = 8 * 1024 * 1024;

/** A small file system of our own to fill: tmpfs needs root; where it is refused the test fails saying why (it never skips). */
function mountSmallDisk(): { dir: string; unmount(): void } | { refused: string } {
  const dir = mkdtempSync(join(tmpdir(), 'actiongate-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return { refused: `mount -t tmpfs was refused (${String((err as { stderr?: Buffer }).stderr ?? err).trim()})` };
  }
  return {
    dir,
    unmount() {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes zeros to `path` until the file system refuses more. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(256 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

const disk = mountSmallDisk();

describe('a full disk', () => {
  if ('refused' in disk) {
    it('has a small file system to fill', () => {
      throw new Error(`${disk.refused}: run the tests as root (CI does), so a 48 MiB tmpfs can be mounted and filled`);
    });
    return;
  }
  const { dir, unmount } = disk;
  const dataDir = join(dir, 'data');
  const filler = join(dir, 'filler');
  let server: ChildServer;
  let httpPort: number;
  const start = async (): Promise<ChildServer> => startChildServer(dataDir, ['--disk-reserve', String(RESERVE_BYTES), '--http-listen', `127.0.0.1:${httpPort}`]);
  const ready = async (): Promise<{ status: number; text: string }> => {
    const response = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
    return { status: response.status, text: await response.text() };
  };

  beforeAll(async () => {
    mkdirSync(dataDir);
    httpPort = await freePort();
    server = await start();
  });
  afterAll(async () => {
    await server?.stop();
    unmount();
  });

  it('refuses ordinary writes with RESOURCE_EXHAUSTED, still takes terminate and halt to executors, and recovers when space is freed', async () => {
    const actions = server.client();
    const control = new ControlClient(server.address);
    const subscriber = new ControlSubscriber(control, 'disk-executor');
    subscriber.start();
    try {
      await subscriber.waitUntilLive();
      const { actionId } = await runningAction(actions, 'disk-executor');
      const guard = subscriber.guard(actionId);

      fillDisk(filler);
      const acknowledged: string[] = [];
      let refusal: ServiceError | undefined;
      for (let i = 0; i < 500 && refusal === undefined; i++) {
        try {
          const { action } = await actions.propose({ actionType: 'collect_diagnostics', node: `full-${i}`, service: 'api', payload: { padding: 'x'.repeat(16_000) } });
          acknowledged.push(action!.actionId);
        } catch (err) {
          refusal = err as ServiceError;
        }
      }
      expect(refusal?.code, refusal?.details).toBe(status.RESOURCE_EXHAUSTED);
      expect(refusal?.details).toContain('disk');
      const notReady = await ready();
      expect(notReady.status).toBe(503);
      expect(notReady.text).toContain('disk full');
      const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      expect(metrics).toContain('actiongate_disk_full 1');

      // The kill switch still writes, and still reaches the executor.
      await control.terminate(actionId, 'stop it while the disk is full');
      await reaches(guard.state$, 'TERMINATED');
      await control.halt('disk full', false);
      await waitFor(() => subscriber.state.halt$.value.halted, (halted) => halted, { what: 'the executor to see the halt' });
      await expectGrpcError(actions.propose({ actionType: 'collect_diagnostics', node: 'full-again', service: 'api' }), status.RESOURCE_EXHAUSTED, 'disk');

      rmSync(filler);
      await waitFor(ready, (r) => r.status === 200, { timeoutMs: 20_000, what: 'the server to see the freed space' });
      await control.unhalt('space freed');
      const { action: after } = await actions.propose({ actionType: 'collect_diagnostics', node: 'after-full', service: 'api' });
      acknowledged.push(after!.actionId);
      guard.dispose();

      // Nothing acknowledged was lost: a restarted server has every action and the terminate.
      await server.kill('SIGTERM');
      server = await start();
      const reopened = server.client();
      for (const id of acknowledged) expect((await reopened.getAction({ actionId: id })).action?.actionId).toBe(id);
      expect((await reopened.getAction({ actionId })).action?.status).toBe(ActionStatus.ACTION_STATUS_TERMINATED);
    } finally {
      await subscriber.stop();
      control.close();
    }
  });
});
