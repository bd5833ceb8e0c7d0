/**
 * Whether `value` matches `glob`, where `*` stands for any run of characters
 * and `?` for one, and everything else for itself. On a mismatch it only ever
 * goes back to the last `*`, so it takes at most glob × value steps: a pattern
 * turned into a regular expression (`.*-.*-.*`) backtracks exponentially on a
 * long node or service name an agent chose, and would hold the server up.
 */
export function globMatches(glob: string, value: string): boolean {
  let g = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    if (g < glob.length && glob[g] === '*') {
      star = g;
      g += 1;
      resume = v;
    } else if (g < glob.length && (glob[g] === '?' || glob[g] === value[v])) {
      g += 1;
      v += 1;
    } else if (star !== -1) {
      // Let the last `*` take one more character and try the rest again from there.
      g = star + 1;
      resume += 1;
      v = resume;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === '*') g += 1;
  return g === glob.length;
}
