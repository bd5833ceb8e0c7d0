#!/usr/bin/env node
// The compiled CLI: plain Node, no TypeScript at run time (`npm run build` writes dist/).
try {
  await import('../dist/cli/main.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('actiongate: dist/ is missing; run `npm run build` (npm ci does it)\n');
    process.exit(1);
  }
  throw err;
}
