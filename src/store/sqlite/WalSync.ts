import { closeSync, fdatasync, openSync } from 'node:fs';

/**
 * Makes the write-ahead log durable without blocking the event loop: fdatasync
 * runs on libuv's thread pool while the loop goes on serving and committing.
 * Commits that land while one sync is running share the next one, so a burst
 * costs at most two syncs however many commits it holds.
 *
 * The WAL file keeps its inode for as long as the database is open (SQLite
 * rewinds and truncates it, never replaces it), so one descriptor serves
 * for the life of the store.
 */
export class WalSync {
  private running = false;
  /** Callers waiting for a sync that starts after they asked. */
  private waiting: ((err: Error | null) => void)[] = [];
  private failure: Error | null = null;

  private constructor(private readonly fd: number) {}

  static open(walPath: string): WalSync {
    return new WalSync(openSync(walPath, 'r+'));
  }

  /** Resolves once everything written to the WAL before this call is on disk. */
  sync(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push((err) => (err === null ? resolve() : reject(err)));
      if (!this.running) this.start();
    });
  }

  /** Waits for the syncs asked for so far, then closes the descriptor. */
  async close(): Promise<void> {
    if (this.running || this.waiting.length > 0) await this.sync().catch(() => {});
    closeSync(this.fd);
  }

  private start(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.running = true;
    fdatasync(this.fd, (err) => {
      this.running = false;
      if (err !== null) {
        // After a failed fsync the kernel may have dropped the dirty pages: what
        // is on disk is unknown, so nothing written from now on may be acknowledged.
        this.failure = new Error('the write-ahead log could not be synced to disk', { cause: err });
      }
      for (const settle of batch) settle(this.failure);
      const later = this.waiting;
      if (this.failure !== null) {
        this.waiting = [];
        for (const settle of later) settle(this.failure);
      } else if (later.length > 0) {
        this.start();
      }
    });
  }
}
