import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * Where things are while a bench runs. bench/run.sh compiles bench/ into .bench-build/ with the
 * repository's layout and runs .bench-build/bench/NAME.js with plain node, so this module runs from
 * .bench-build/bench/, next to the compiled servers the benches start (and the copied .mjs preload).
 */
if (!import.meta.url.endsWith('/.bench-build/bench/benchPaths.js')) {
  throw new Error(`benches run compiled: use bash bench/run.sh NAME (this module is ${import.meta.url})`);
}

/** The repository root: the working directory of every server a bench starts. */
export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** A file next to the compiled bench (`.bench-build/bench/NAME`), as a path a child started in REPO can load. */
export function benchFile(name: string): string {
  return `./${relative(REPO, fileURLToPath(new URL(name, import.meta.url)))}`;
}
