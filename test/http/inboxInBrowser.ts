import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { clientsFor, writeAuthFile, type Clients, type TestPrincipal } from '../auth/authFixture.js';
import { startServe, type ServeProcess } from '../auth/serveProcess.js';
import { freePort } from '../support/freePort.js';
import { tempDataDir } from '../support/testServer.js';

const CHROMIUM = '/usr/bin/chromium';

/** `actiongate serve` with an auth file and the side port, gRPC clients for its agent and admin, and Debian's Chromium. */
export interface InboxInBrowser {
  readonly server: ServeProcess;
  /** The side port's base URL, where the inbox is. */
  readonly base: string;
  readonly context: BrowserContext;
  readonly agent: Clients;
  readonly admin: Clients;
  stop(): Promise<void>;
}

/** Starts it all; a missing Chromium fails (never skips) naming the script that installs it. */
export async function startInboxInBrowser(principals: { agent: TestPrincipal; admin: TestPrincipal } & Record<string, TestPrincipal>, prefix: string): Promise<InboxInBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/install-system-deps.sh (it installs Debian's chromium) before the tests`);
  }
  const dir = tempDataDir(prefix);
  const profile = mkdtempSync(join(tmpdir(), 'actiongate-chromium-'));
  const cleanups: (() => Promise<unknown> | void)[] = [
    () => rmSync(profile, { recursive: true, force: true }),
    () => rmSync(dir, { recursive: true, force: true }),
  ];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const authFile = writeAuthFile(dir, Object.values(principals));
    const httpPort = await freePort();
    const server = await startServe(join(dir, 'data'), ['--auth-file', authFile, '--http-listen', `127.0.0.1:${httpPort}`]);
    cleanups.push(() => server.stop());
    const agent = clientsFor(server.address, principals.agent.token);
    const admin = clientsFor(server.address, principals.admin.token);
    cleanups.push(() => agent.close(), () => admin.close());
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    cleanups.push(() => context.close());
    return { server, base: `http://127.0.0.1:${httpPort}`, context, agent, admin, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
