import type { Action, HistoryEvent } from '../../domain/action.js';

/** An action row a transaction holds (locked, or inserted by it), as the transaction has left it so far. */
export interface HeldAction {
  readonly action: Action;
  /** Its committed history, then the events this transaction appended (numbered when it finishes). */
  readonly history: readonly HistoryEvent[];
}

/** A change not yet sent to the database: the row as it is to be written, at `version`. */
export interface ActionWrite {
  readonly action: Action;
  /** The version written; an update is guarded on the one before it. */
  readonly version: number;
}

interface Entry extends HeldAction {
  /** The version the database holds; what an update is guarded on. */
  readonly stored: number;
  readonly pending: 'insert' | 'update' | null;
}

/** Where the held rows stood, to go back to when one step of a batch is undone. */
export type HeldSnapshot = ReadonlyMap<string, Entry>;

/**
 * The action rows one transaction holds, by id, with the changes its steps made to them
 * and not yet wrote. Steps decide from what is here, so a later step of a batch sees
 * what an earlier one did; the changes go to the database together, in one statement,
 * when the transaction finishes (or sooner, before any statement that could read them).
 */
export class HeldActions {
  private entries = new Map<string, Entry>();

  get(actionId: string): HeldAction | undefined {
    return this.entries.get(actionId);
  }

  /** A row a statement just read under lock. A row held already keeps what this transaction made of it. */
  hold(action: Action, version: number, history: readonly HistoryEvent[]): HeldAction {
    const known = this.entries.get(action.id);
    if (known !== undefined) return known;
    const entry: Entry = { action, history, stored: version, pending: null };
    this.entries.set(action.id, entry);
    return entry;
  }

  /** A new action: inserted when the changes are written (`pending`), or already (`stored` at `version`). */
  created(action: Action, inserted: { readonly version: number } | null): HeldAction {
    const entry: Entry = inserted === null
      ? { action, history: [], stored: 0, pending: 'insert' }
      : { action, history: [], stored: inserted.version, pending: null };
    this.entries.set(action.id, entry);
    return entry;
  }

  /** Records a step's change to a held row, and the event it appended, if any. */
  change(actionId: string, action: Action, event: HistoryEvent | null): HeldAction {
    const entry = this.require(actionId);
    const next: Entry = {
      action,
      history: event === null ? entry.history : [...entry.history, event],
      stored: entry.stored,
      pending: entry.pending ?? 'update',
    };
    this.entries.set(actionId, next);
    return next;
  }

  /** An event appended for a held row without changing it. */
  appended(actionId: string, event: HistoryEvent): void {
    const entry = this.entries.get(actionId);
    if (entry !== undefined) this.entries.set(actionId, { ...entry, history: [...entry.history, event] });
  }

  get hasWrites(): boolean {
    for (const entry of this.entries.values()) if (entry.pending !== null) return true;
    return false;
  }

  /** The changes not written yet, taken: from here on the rows count as written. */
  takeWrites(): { inserts: ActionWrite[]; updates: ActionWrite[] } {
    const inserts: ActionWrite[] = [];
    const updates: ActionWrite[] = [];
    for (const [id, entry] of this.entries) {
      if (entry.pending === null) continue;
      const version = entry.pending === 'insert' ? 1 : entry.stored + 1;
      (entry.pending === 'insert' ? inserts : updates).push({ action: entry.action, version });
      this.entries.set(id, { ...entry, stored: version, pending: null });
    }
    return { inserts, updates };
  }

  snapshot(): HeldSnapshot {
    return new Map(this.entries);
  }

  restore(snapshot: HeldSnapshot): void {
    this.entries = new Map(snapshot);
  }

  private require(actionId: string): Entry {
    const entry = this.entries.get(actionId);
    if (entry === undefined) throw new Error(`action ${actionId} is changed without being held: read it under lock first`);
    return entry;
  }
}
