import { readFileSync } from 'node:fs';

/**
 * actiongate's version, from its package.json: two directories up from here
 * both in src/shared (tests) and in dist/shared (the build).
 */
export const PACKAGE_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
