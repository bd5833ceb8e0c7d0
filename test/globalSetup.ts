import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Tests import the sources, but the processes they start (`bin/actiongate.js`,
 * the packed SDK) run the compiled build: build it from the sources under test
 * first, so a child process never runs yesterday's code.
 */
export default function buildOnce(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync('bash', ['scripts/build.sh'], { cwd: root, stdio: 'inherit' });
}
