import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** web/ at the top of the checkout or package: three levels up from src/server/http and from dist/server/http alike. */
export const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

/**
 * The inbox's files by URL path, read once at start (a few kilobytes): `/` is
 * index.html, every other file is served under its own name. Files are shipped
 * as written, so there is no build step to run. Empty when web/ is missing.
 */
export function inboxAssets(dir = WEB_DIR): ReadonlyMap<string, Asset> {
  const assets = new Map<string, Asset>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return assets;
  }
  for (const name of names) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType === undefined) continue;
    const asset = { body: readFileSync(join(dir, name)), contentType };
    assets.set(name === 'index.html' ? '/' : `/${name}`, asset);
  }
  return assets;
}
