/**
 * Characters a terminal acts on rather than shows: C0 and C1 controls (ESC
 * starts a sequence that can clear the screen, move the cursor or retitle the
 * window; CR overwrites the line; C1's CSI does what ESC [ does), DEL, the
 * line and paragraph separators, and the bidirectional overrides that make
 * text read in another order than it is stored.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text from the server (a node, a reason, an actor) as it may reach a terminal:
 * every character above written out as an escape (`\u001b[2J` prints as
 * `\x1b[2J`), so what anyone stored shows as text, on one line, and never acts.
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Text cut to `max` characters, the cut marked with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
