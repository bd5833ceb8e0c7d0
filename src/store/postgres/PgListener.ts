import pg from 'pg';

const INITIAL_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

export interface PgListenerEvents {
  /** A NOTIFY on one of the channels; the payload is the sequence it reached. */
  readonly notified: (channel: string, sequence: number) => void;
  /** The connection is listening again (or for the first time): whatever was missed must be read back. */
  readonly listening: () => void;
  readonly onError: (err: unknown) => void;
}

/**
 * One dedicated connection that LISTENs (a pooled connection cannot: it is handed
 * to other work between queries). When it is lost it reconnects with capped backoff
 * and says so, so the caller re-reads by sequence what was committed meanwhile.
 */
export class PgListener {
  private client: pg.Client | null = null;
  private closed = false;
  private backoffMs = INITIAL_BACKOFF_MS;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channels: readonly string[],
    private readonly events: PgListenerEvents,
  ) {}

  /** Resolves once listening; a first connection that fails is retried in the background. */
  async start(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.config);
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, null));
    client.on('notification', (message) => {
      const sequence = Number(message.payload);
      if (Number.isSafeInteger(sequence)) this.events.notified(message.channel, sequence);
    });
    try {
      await client.connect();
      for (const channel of this.channels) await client.query(`LISTEN ${channel}`);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.backoffMs = INITIAL_BACKOFF_MS;
    this.events.listening();
  }

  private lost(client: pg.Client, err: unknown): void {
    if (this.closed || this.timer !== null) return;
    if (this.client !== null && this.client !== client) return;
    this.client = null;
    if (err !== null) this.events.onError(err);
    client.end().catch(() => {});
    const delay = this.backoffMs * (0.5 + Math.random() / 2);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, delay);
  }
}
