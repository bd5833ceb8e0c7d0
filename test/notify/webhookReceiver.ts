import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the receiver answers: 2xx, 500, or not at all (the request is held open until close). */
export type ReceiverMode = 'ok' | 'fail' | 'hang';

export interface Notification {
  readonly text: string;
  readonly kind: string;
  readonly action?: { readonly actionId: string; readonly status: string } & Record<string, unknown>;
  readonly event?: Record<string, unknown>;
  readonly signal?: Record<string, unknown>;
}

/** A local webhook: records every POST it gets and answers the way `mode` says at that moment. */
export interface WebhookReceiver {
  readonly url: string;
  mode: ReceiverMode;
  /** Every request, in arrival order, whatever the answer. */
  readonly attempts: Notification[];
  /** The requests answered 2xx: the deliveries. */
  readonly delivered: Notification[];
  /** Requests held open in 'hang' mode. */
  readonly hanging: number;
  /** Answers 500 to the next `count` requests, then `mode` again. */
  failNext(count: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(mode: ReceiverMode = 'ok', path = '/hooks/T000/B000/secret-part?token=also-secret'): Promise<WebhookReceiver> {
  const held = new Set<ServerResponse>();
  let failures = 0;
  const state = {
    mode,
    attempts: [] as Notification[],
    delivered: [] as Notification[],
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const message = JSON.parse(body) as Notification;
      state.attempts.push(message);
      if (failures > 0 || state.mode === 'fail') {
        failures = Math.max(0, failures - 1);
        res.writeHead(500).end('receiver down');
      } else if (state.mode === 'hang') {
        held.add(res);
        res.once('close', () => held.delete(res));
      } else {
        state.delivered.push(message);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    get mode() {
      return state.mode;
    },
    set mode(next: ReceiverMode) {
      state.mode = next;
    },
    attempts: state.attempts,
    delivered: state.delivered,
    get hanging() {
      return held.size;
    },
    failNext(count: number) {
      failures = count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
