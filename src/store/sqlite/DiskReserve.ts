import { closeSync, fsyncSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const CHUNK = Buffer.alloc(1024 * 1024);

/**
 * A ballast file in the data directory: space held back so that, once the disk
 * is full, releasing it lets the kill switch's writes still commit.
 */
export class DiskReserve {
  private heldBytes = 0;

  constructor(
    readonly path: string,
    readonly bytes: number,
  ) {}

  get held(): number {
    return this.heldBytes;
  }

  /** Writes the ballast, zeros synced to disk; throws (ENOSPC, say) leaving nothing behind. */
  create(): void {
    if (this.bytes === 0 || this.heldBytes > 0) return;
    const fd = openSync(this.path, 'w', 0o600);
    try {
      for (let written = 0; written < this.bytes; ) {
        written += writeSync(fd, CHUNK, 0, Math.min(CHUNK.length, this.bytes - written));
      }
      fsyncSync(fd);
      this.heldBytes = this.bytes;
    } catch (err) {
      rmSync(this.path, { force: true });
      throw err;
    } finally {
      closeSync(fd);
    }
  }

  /** Frees the space; returns whether there was any to free. */
  release(): boolean {
    rmSync(this.path, { force: true });
    const freed = this.heldBytes > 0;
    this.heldBytes = 0;
    return freed;
  }

  /** Bytes free to this process on the reserve's file system. */
  freeBytes(): number {
    const stats = statfsSync(dirname(this.path));
    return stats.bavail * stats.bsize;
  }
}
