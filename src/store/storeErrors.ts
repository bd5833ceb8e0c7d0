/** The disk under the store is full: the write was not made. Retrying after space is freed may succeed. */
export class StoreFullError extends Error {
  override name = 'StoreFullError';
}

/** The store cannot take calls now (closed, or its durability was lost); another replica or a restart can. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/** What the store says of itself, for readiness probes and metrics. */
export interface StoreHealth {
  /** A write failed for space: only kill-switch writes are taken until space is freed. */
  readonly diskFull: boolean;
  /** Bytes held back on disk for the kill switch (0 once released, or when there is none). */
  readonly reserveBytes: number;
  /** The last call could not reach the database server (a store on one): not ready until one does. */
  readonly unreachable?: boolean;
}
