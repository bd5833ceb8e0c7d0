#!/usr/bin/env node
// The compiled CLI: plain Node, no TypeScript at run time (`npm run build` writes dist/).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('actiongate: dist/ is missing; run `npm run build` (npm ci does it)\n');
  process.exit(1);
}
await import(main.href);
