import { describe, expect, it } from 'vitest';
import { clip, printable } from '../../src/cli/printable.js';

describe('printable', () => {
  it('writes out every character a terminal would act on, and leaves the rest alone', () => {
    expect(printable('web\u001b[2J\r\n\tX')).toBe('web\\x1b[2J\\r\\n\\tX');
    expect(printable('\u0007\u007f\u009b31m')).toBe('\\x07\\x7f\\x9b31m');
    expect(printable('a\u2028b\u202ec\u2066d')).toBe('a\\u2028b\\u202ec\\u2066d');
    expect(printable('checkout/web-7 ünïcødé 東京 ✓')).toBe('checkout/web-7 ünïcødé 東京 ✓');
  });

  it('clips long text with an ellipsis, within the width', () => {
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('abcd', 4)).toBe('abcd');
  });
});
