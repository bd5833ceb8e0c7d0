import { DiskReserve } from './DiskReserve.js';

/** How often a full store looks for freed space. */
const RECHECK_MS = 2000;
/** Free space wanted beyond the reserve itself before writes are taken again. */
const MARGIN_BYTES = 16 * 1024 * 1024;

export type DiskEvent =
  | { readonly kind: 'full'; readonly releasedBytes: number }
  | { readonly kind: 'recovered'; readonly reserveBytes: number }
  | { readonly kind: 'reserve-missing'; readonly wantedBytes: number; readonly cause: unknown };

interface Committer {
  spaceAvailable(): void;
}

/**
 * Keeps the disk reserve, and the store's way back from a full disk: the
 * reserve is released when a write fails for space, and once enough space is
 * free again it is rebuilt and every write is taken again.
 */
export class DiskSpaceGuard {
  private timer: NodeJS.Timeout | undefined;
  private full = false;

  constructor(
    private readonly reserve: DiskReserve,
    private readonly onEvent: (event: DiskEvent) => void,
  ) {}

  get heldBytes(): number {
    return this.reserve.held;
  }

  /** Builds the reserve; a disk too full for it is reported and tried again later, never fatal. */
  start(committer: Committer): void {
    try {
      this.reserve.create();
    } catch (err) {
      this.onEvent({ kind: 'reserve-missing', wantedBytes: this.reserve.bytes, cause: err });
      this.recheckEvery(committer);
    }
  }

  /** A write failed for space: release the reserve and wait for space to come back. */
  diskFull(committer: Committer): void {
    if (this.full) return;
    this.full = true;
    const releasedBytes = this.reserve.held;
    this.reserve.release();
    this.onEvent({ kind: 'full', releasedBytes });
    this.recheckEvery(committer);
  }

  private recheckEvery(committer: Committer): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.recheck(committer), RECHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private recheck(committer: Committer): void {
    let free: number;
    try {
      free = this.reserve.freeBytes();
    } catch {
      return;
    }
    if (free < this.reserve.bytes + MARGIN_BYTES) return;
    try {
      this.reserve.create();
    } catch {
      return;
    }
    clearInterval(this.timer);
    if (!this.full) return;
    this.full = false;
    committer.spaceAvailable();
    this.onEvent({ kind: 'recovered', reserveBytes: this.reserve.held });
  }
}
