/** How long a failed catch-up read waits before trying again. */
const RETRY_MS = 500;
const PAGE = 500;

/**
 * Delivers one numbered stream (history events, control signals) to this process's
 * listeners in sequence order, each item once. Sequences follow commit order across
 * replicas, so whatever is committed is always a prefix: what this replica committed
 * is handed over at once when it continues the stream, anything else (another
 * replica's commit, a gap after a lost listening connection) is read back from the
 * database after the last sequence delivered.
 */
export class SequencePump<T extends { readonly sequence: number }> {
  private running = false;
  private again = false;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private cursor: number,
    private readonly read: (after: number, limit: number) => Promise<T[]>,
    private readonly publish: (items: readonly T[]) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  get delivered(): number {
    return this.cursor;
  }

  /** Items this replica just committed. */
  committed(items: readonly T[]): void {
    const first = items[0];
    if (first === undefined || this.closed) return;
    if (first.sequence === this.cursor + 1 && !this.running) this.emit(items);
    else this.catchUp();
  }

  /** Another replica (or this one) says the stream reached `sequence`. */
  notified(sequence: number): void {
    if (sequence > this.cursor) this.catchUp();
  }

  /** Reads everything after the last sequence delivered. */
  catchUp(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.drain();
  }

  close(): void {
    this.closed = true;
    if (this.retry !== null) clearTimeout(this.retry);
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        this.again = false;
        const items = await this.read(this.cursor, PAGE);
        if (this.closed) return;
        this.emit(items);
        if (items.length < PAGE && !this.again) return;
      }
    } catch (err) {
      this.onError(err);
      if (!this.closed) this.retry = setTimeout(() => {
        this.retry = null;
        this.catchUp();
      }, RETRY_MS);
    } finally {
      this.running = false;
    }
  }

  private emit(items: readonly T[]): void {
    const fresh = items.filter((item) => item.sequence > this.cursor);
    const last = fresh[fresh.length - 1];
    if (last === undefined) return;
    this.cursor = last.sequence;
    this.publish(fresh);
  }
}
