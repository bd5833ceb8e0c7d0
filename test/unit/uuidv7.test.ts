import { describe, expect, it } from 'vitest';
import { isUuid } from '../../src/domain/validation.js';
import { uuidv7 } from '../../src/store/uuidv7.js';

describe('uuidv7', () => {
  it('makes version 7 UUIDs that sort in creation order and never repeat, within one millisecond too', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7(1_790_000_000_000));
    for (const id of ids.slice(0, 10)) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('carries the time in its first 48 bits', () => {
    const at = 1_800_000_000_123;
    const id = uuidv7(at);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBeGreaterThanOrEqual(at);
  });
});
