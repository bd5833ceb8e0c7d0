import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PreconditionError } from '../../src/domain/errors.js';
import { SqliteActionStore } from '../../src/store/sqlite/SqliteActionStore.js';
import { approved, claimAs } from '../contract/steps.js';

/**
 * Steps sent in one turn commit in one SQLite transaction, which reads the halt
 * state and the chain head once and keeps them. These show that what a step
 * writes is what the next step of the same batch sees.
 */
describe('steps committed in one batch', () => {
  let dir: string;
  let store: SqliteActionStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'actiongate-batch-'));
    store = SqliteActionStore.open(dir);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a halt between two claims stops the claim after it, and an unhalt after that lets the next one through', async () => {
    const [a, b, c] = [await approved(store), await approved(store), await approved(store)];
    const before = store.update(a.id, claimAs('executor-1'));
    const halt = store.halt('operator', 'incident', false);
    const during = store.update(b.id, claimAs('executor-2'));
    const unhalt = store.unhalt('operator', 'all clear');
    const after = store.update(c.id, claimAs('executor-3'));

    await expect(before).resolves.toMatchObject({ status: 'RUNNING' });
    await expect(halt).resolves.toMatchObject({ halt: { halted: true }, affected: [a.id] });
    await expect(during).rejects.toBeInstanceOf(PreconditionError);
    await expect(unhalt).resolves.toMatchObject({ halt: { halted: false } });
    await expect(after).resolves.toMatchObject({ status: 'RUNNING' });
    expect(await store.getAction(b.id)).toMatchObject({ status: 'APPROVED' });
    expect(await store.haltState()).toMatchObject({ halted: false });
  });

  it('chains every event of a batch onto the one before it, across batches', async () => {
    for (let round = 0; round < 3; round += 1) {
      await Promise.all(Array.from({ length: 20 }, () => approved(store)));
    }
    const events = await store.readEvents(0, {}, 1000);
    expect(events).toHaveLength(120);
    events.forEach((event, i) => {
      expect(event.sequence).toBe(i + 1);
      if (i > 0) expect(event.previousHash).toBe(events[i - 1]!.hash);
    });
    expect(await store.verifyHistory()).toMatchObject({ ok: true, eventsChecked: 120 });
  });
});
