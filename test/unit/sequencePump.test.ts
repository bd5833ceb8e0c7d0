import { describe, expect, it } from 'vitest';
import { SequencePump } from '../../src/store/postgres/SequencePump.js';
import { waitFor } from '../support/waitFor.js';

type Item = { readonly sequence: number };

const items = (first: number, last: number): Item[] => Array.from({ length: last - first + 1 }, (_, i) => ({ sequence: first + i }));

/** A pump over a stream whose committed items are `stored`, counting the reads it makes. */
function pumpOver(stored: Item[]) {
  const delivered: number[] = [];
  const reads: number[] = [];
  const pump = new SequencePump<Item>(
    0,
    async (after, limit) => {
      reads.push(after);
      return stored.filter((item) => item.sequence > after).slice(0, limit);
    },
    (batch) => delivered.push(...batch.map((item) => item.sequence)),
    (err) => {
      throw err;
    },
  );
  return { pump, delivered, reads };
}

describe('SequencePump', () => {
  it('delivers its own commits in order without reading, whether NOTIFY or a later batch comes back first', () => {
    const stored = items(1, 6);
    const { pump, delivered, reads } = pumpOver(stored);
    const first = items(1, 3);
    const second = items(4, 6);
    pump.committing(first);
    pump.committing(second);
    pump.notified(6);
    pump.committed(second);
    expect(delivered).toEqual([]);
    pump.committed(first);
    expect(delivered).toEqual([1, 2, 3, 4, 5, 6]);
    expect(reads).toEqual([]);
  });

  it('reads a gap another replica committed, and what it was told of beyond its own commits', async () => {
    const stored = items(1, 4);
    const { pump, delivered, reads } = pumpOver(stored);
    pump.committing(items(3, 4));
    pump.committed(items(3, 4));
    await waitFor(async () => delivered, (d) => d.length === 4, { what: 'the gap before its own commit to be read' });
    expect(delivered).toEqual([1, 2, 3, 4]);
    expect(reads).toEqual([0]);
    stored.push(...items(5, 9));
    pump.committing(items(5, 6));
    pump.notified(9);
    await waitFor(async () => delivered, (d) => d.length === 9, { what: 'the rest to be read' });
    pump.committed(items(5, 6));
    expect(delivered).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('reads back a commit whose outcome is unknown, and delivers nothing twice', async () => {
    const stored = items(1, 2);
    const { pump, delivered, reads } = pumpOver(stored);
    pump.committing(items(1, 2));
    pump.notified(2);
    expect(reads).toEqual([]);
    pump.uncertain(items(1, 2));
    await waitFor(async () => delivered, (d) => d.length === 2, { what: 'the commit to be read back' });
    pump.notified(2);
    expect(delivered).toEqual([1, 2]);
    expect(reads).toEqual([0]);
  });
});
