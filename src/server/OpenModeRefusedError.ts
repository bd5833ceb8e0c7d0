import { ConfigError } from '../shared/ConfigError.js';
import { parseAddress } from '../shared/parseAddress.js';
import { isLoopbackHost } from './isLoopbackHost.js';
import type { ServerConfig } from './ServerConfig.js';

/**
 * Without an auth file every caller may do anything, so the server runs open
 * on a loopback address only, unless the operator says `--allow-unauthenticated`.
 * `actiongate serve` exits with status 2 on it, as for any usage mistake.
 */
export class OpenModeRefusedError extends ConfigError {
  override name = 'OpenModeRefusedError';

  /** Throws when `config` would serve open beyond loopback without the escape hatch. */
  static check(config: Pick<ServerConfig, 'listen' | 'authFile' | 'allowUnauthenticated'>): void {
    if (config.authFile !== null || config.allowUnauthenticated) return;
    if (isLoopbackHost(parseAddress('--listen', config.listen).host)) return;
    throw new OpenModeRefusedError(
      `--listen ${config.listen} is not a loopback address and there is no --auth-file: every caller could do anything. `
      + 'Give --auth-file FILE (create one with `actiongate auth add`), or --allow-unauthenticated to run open anyway',
    );
  }
}
