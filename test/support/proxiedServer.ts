import { afterEach } from 'vitest';
import { startFreezableProxy, type FreezableProxy } from './freezableProxy.js';
import { startTestServer, type TestServer } from './testServer.js';

export type Cleanup = () => Promise<unknown> | void;

/** A list the tests of the enclosing `describe` add cleanups to; after each test they run, last added first. */
export function cleanupsAfterEach(): Cleanup[] {
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return cleanups;
}

/** A real server and a freezable proxy in front of it, both stopped by `cleanups`. */
export async function startProxiedServer(cleanups: Cleanup[]): Promise<{ t: TestServer; proxy: FreezableProxy }> {
  const t = await startTestServer();
  cleanups.push(() => t.stop());
  const proxy = await startFreezableProxy(t.address);
  cleanups.push(() => proxy.close());
  return { t, proxy };
}
