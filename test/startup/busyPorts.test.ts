import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, it } from 'vitest';
import { tempDataDir } from '../support/testServer.js';
import { expectOneLineFailure, runServe } from './runCli.js';

/** A plain TCP listener on a loopback port, holding it for the test. */
async function holdPort(): Promise<{ server: Server; address: string }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  return { server, address: `127.0.0.1:${port}` };
}

describe('ports in use', () => {
  const held: Server[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const server of held.splice(0)) await new Promise((resolve) => server.close(resolve));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const setUp = async (): Promise<{ dir: string; address: string }> => {
    const dir = tempDataDir('actiongate-ports-');
    dirs.push(dir);
    const { server, address } = await holdPort();
    held.push(server);
    return { dir, address };
  };

  it('a busy --listen is one line naming the address, and a non-zero exit', async () => {
    const { dir, address } = await setUp();
    const run = await runServe(dir, ['--listen', address]);
    expectOneLineFailure(run, `cannot listen on ${address}: address in use`, '--listen');
  });

  it('a busy --http-listen is one line naming the address, and a non-zero exit', async () => {
    const { dir, address } = await setUp();
    const run = await runServe(dir, ['--http-listen', address]);
    expectOneLineFailure(run, `cannot listen on ${address} for HTTP: address in use`, '--http-listen');
  });
});
