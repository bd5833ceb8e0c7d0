import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy between clients and a server that can turn the connections it
 * holds into half-open links: a dropped NAT or load-balancer path, where bytes
 * sent are accepted by the local kernel and then go nowhere, and no FIN or RST
 * ever arrives. Nothing in the operating system notices; only the peers'
 * keepalive pings can.
 */
export interface FreezableProxy {
  /** host:port clients connect to. */
  readonly address: string;
  /**
   * Every connection held now stops forwarding, in both directions, for good;
   * its sockets stay open (an end or close on one side is not passed on
   * either). Connections made afterwards are forwarded as usual.
   */
  freeze(): void;
  /** Like `freeze`, and connections made until `heal` are accepted and frozen at once: no path at all. */
  cutOff(): void;
  /**
   * The path is back: new connections are forwarded again, and the frozen
   * ones are reset, as a restored path resets connections whose state it lost
   * (the peers then see ECONNRESET instead of waiting out their timeouts).
   */
  heal(): void;
  /** Connections accepted so far, frozen or not. */
  readonly accepted: number;
  /** Connections that still forward. */
  readonly forwarding: number;
  close(): Promise<void>;
}

interface Link {
  readonly downstream: Socket;
  readonly upstream: Socket | null;
  frozen: boolean;
}

/** Starts a proxy on 127.0.0.1 (a free port) to `target` (host:port). */
export async function startFreezableProxy(target: string): Promise<FreezableProxy> {
  const separator = target.lastIndexOf(':');
  const host = target.slice(0, separator);
  const port = Number(target.slice(separator + 1));
  const links = new Set<Link>();
  let cutOff = false;
  let accepted = 0;

  const server = createServer((downstream) => {
    accepted += 1;
    downstream.on('error', () => {});
    if (cutOff) {
      // Accepted, then silence: the handshake of whatever speaks over it never completes.
      const link: Link = { downstream, upstream: null, frozen: true };
      links.add(link);
      downstream.on('data', () => {});
      return;
    }
    const upstream = connect({ host, port });
    upstream.on('error', () => {});
    const link: Link = { downstream, upstream, frozen: false };
    links.add(link);
    forward(link, downstream, upstream);
    forward(link, upstream, downstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port: boundPort } = server.address() as AddressInfo;

  /** Copies `from` to `to` while the link forwards; drops the bytes once it is frozen. */
  function forward(link: Link, from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (!link.frozen) to.write(chunk);
    });
    from.on('end', () => {
      if (!link.frozen) to.end();
    });
    from.on('close', () => {
      if (link.frozen) return;
      to.destroy();
      links.delete(link);
    });
  }

  const freezeAll = (): void => {
    for (const link of links) link.frozen = true;
  };

  return {
    address: `127.0.0.1:${boundPort}`,
    freeze: freezeAll,
    cutOff() {
      cutOff = true;
      freezeAll();
    },
    heal() {
      cutOff = false;
      for (const link of [...links]) {
        if (!link.frozen) continue;
        link.downstream.resetAndDestroy();
        link.upstream?.resetAndDestroy();
        links.delete(link);
      }
    },
    get accepted() {
      return accepted;
    },
    get forwarding() {
      return [...links].filter((link) => !link.frozen).length;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const link of links) {
        link.downstream.destroy();
        link.upstream?.destroy();
      }
      links.clear();
      await closed;
    },
  };
}
