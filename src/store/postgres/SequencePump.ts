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
 *
 * This replica's own commits are told twice, by the committer once COMMIT returns and
 * by NOTIFY, which may come first; and two batches' COMMITs may return in either order.
 * So the committer says what it numbered before it commits (`committing`): a
 * notification of those sequences, or a gap they will fill, waits for `committed`
 * rather than reading the database, and `uncertain` (COMMIT failed, so it may or may
 * not have committed) reads it back.
 */
export class SequencePump<T extends { readonly sequence: number }> {
  private running = false;
  private again = false;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  /** Sequence ranges this replica is committing (first → last): they arrive through `committed` or `uncertain`. */
  private readonly inFlight = new Map<number, number>();
  /** Items this replica committed that cannot be delivered yet: a sequence before them is not. */
  private early: (readonly T[])[] = [];

  constructor(
    private cursor: number,
    private readonly read: (after: number, limit: number) => Promise<T[]>,
    private readonly publish: (items: readonly T[]) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  get delivered(): number {
    return this.cursor;
  }

  /** Items this replica numbered and is about to COMMIT. */
  committing(items: readonly T[]): void {
    const first = items[0];
    const last = items[items.length - 1];
    if (first !== undefined && last !== undefined) this.inFlight.set(first.sequence, last.sequence);
  }

  /** Items this replica just committed. */
  committed(items: readonly T[]): void {
    const first = items[0];
    if (first === undefined) return;
    this.inFlight.delete(first.sequence);
    if (this.closed) return;
    this.early.push(items);
    this.deliverEarly();
  }

  /** Items whose COMMIT failed without saying whether it happened: the database knows. */
  uncertain(items: readonly T[]): void {
    const first = items[0];
    if (first === undefined) return;
    this.inFlight.delete(first.sequence);
    this.catchUp();
  }

  /** Another replica (or this one) says the stream reached `sequence`. */
  notified(sequence: number): void {
    if (sequence > this.cursor && !this.ownUpTo(sequence)) this.catchUp();
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
        if (items.length < PAGE && !this.again) break;
      }
    } catch (err) {
      this.onError(err);
      if (!this.closed) this.retry = setTimeout(() => {
        this.retry = null;
        this.catchUp();
      }, RETRY_MS);
      return;
    } finally {
      this.running = false;
    }
    this.deliverEarly();
  }

  /** Delivers this replica's committed items that are next; reads a gap before the rest that no commit of its own will fill. */
  private deliverEarly(): void {
    if (this.running || this.closed) return;
    this.early.sort((a, b) => a[0]!.sequence - b[0]!.sequence);
    while (this.early.length > 0 && this.early[0]![0]!.sequence <= this.cursor + 1) this.emit(this.early.shift()!);
    const next = this.early[0]?.[0];
    if (next !== undefined && !this.ownUpTo(next.sequence - 1)) this.catchUp();
  }

  /** Whether every sequence after the cursor up to `sequence` is this replica's own, committing or committed. */
  private ownUpTo(sequence: number): boolean {
    const ranges = [...this.inFlight, ...this.early.map((items): [number, number] => [items[0]!.sequence, items[items.length - 1]!.sequence])];
    ranges.sort((a, b) => a[0] - b[0]);
    let next = this.cursor + 1;
    for (const [first, last] of ranges) {
      if (next > sequence) break;
      if (first > next) return false;
      next = Math.max(next, last + 1);
    }
    return next > sequence;
  }

  private emit(items: readonly T[]): void {
    const fresh = items.filter((item) => item.sequence > this.cursor);
    const last = fresh[fresh.length - 1];
    if (last === undefined) return;
    this.cursor = last.sequence;
    this.publish(fresh);
  }
}
