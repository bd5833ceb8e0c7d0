import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP front for the test PostgreSQL that can go down and come back like a restarted
 * server: `down` resets every connection and refuses new ones, `up` accepts again on
 * the same port. Only the servers that connect through it see the outage, so tests
 * running beside this one keep their database.
 */
export interface PgProxy {
  /** The database URL through the proxy. */
  readonly url: string;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/** Where the test server listens: its unix socket (`?host=/dir`) or TCP host and port. */
function upstreamOf(url: URL): { path: string } | { host: string; port: number } {
  const socketDir = url.searchParams.get('host');
  const port = Number(url.port || 5432);
  if (socketDir !== null && socketDir.startsWith('/')) return { path: `${socketDir}/.s.PGSQL.${port}` };
  return { host: url.hostname || 'localhost', port };
}

export async function startPgProxy(databaseUrl: string): Promise<PgProxy> {
  const original = new URL(databaseUrl);
  const upstream = upstreamOf(original);
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  };
  const server: Server = createServer((downstream) => {
    const up = connect(upstream);
    track(downstream);
    track(up);
    downstream.pipe(up);
    up.pipe(downstream);
    downstream.on('close', () => up.destroy());
    up.on('close', () => downstream.destroy());
  });
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const port = await listen(0);
  const proxied = new URL(original.toString());
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  proxied.searchParams.delete('host');
  const closeListener = (): Promise<void> => new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  return {
    url: proxied.toString(),
    async down() {
      const closed = closeListener();
      // TCP sides are reset, as a crashed server's kernel would; a unix socket can only be closed.
      for (const socket of sockets) {
        if (socket.remoteFamily === undefined) socket.destroy();
        else socket.resetAndDestroy();
      }
      await closed;
    },
    async up() {
      await listen(port);
    },
    async close() {
      const closed = closeListener();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
