import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';
import { ANONYMOUS, type Principal } from '../../domain/roles.js';
import { parseAuthFile } from './authFile.js';
import { Authenticator, type Credentials } from './Authenticator.js';
import { readConfigText } from '../../shared/readConfigFile.js';

/** How often the auth file is looked at for changes; a removed principal is refused within about this long. */
const WATCH_INTERVAL_MS = 1000;

/**
 * The auth file in force. It is read again on SIGHUP and when the file changes;
 * a version that does not parse is logged and the previous one stays in force.
 * Without a file the server is open: every caller is `anonymous`.
 */
export class AuthState {
  private authenticator: Authenticator | null;
  private readonly listeners = new Set<() => void>();
  private readonly onSighup = (): void => this.reload('SIGHUP');

  private constructor(
    readonly file: string | null,
    private readonly log: Logger,
  ) {
    this.authenticator = file === null ? null : new Authenticator(parseAuthFile(readConfigText(file, '--auth-file'), file));
  }

  /** Reads the file now: a bad file at start is a ConfigError naming the entry. */
  static open(file: string | null, log: Logger): AuthState {
    return new AuthState(file, log);
  }

  get open(): boolean {
    return this.authenticator === null;
  }

  authenticate(credentials: Credentials): Principal {
    return this.authenticator === null ? ANONYMOUS : this.authenticator.authenticate(credentials);
  }

  /** Called after every reload that took effect, so open streams can check their principal again. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.file === null) return;
    watchFile(this.file, { interval: WATCH_INTERVAL_MS, persistent: false }, () => this.reload('file changed'));
    process.on('SIGHUP', this.onSighup);
  }

  stop(): void {
    if (this.file === null) return;
    unwatchFile(this.file);
    process.off('SIGHUP', this.onSighup);
  }

  reload(why: string): void {
    if (this.file === null) return;
    try {
      const next = new Authenticator(parseAuthFile(readFileSync(this.file, 'utf8'), this.file));
      this.authenticator = next;
      this.log.info({ file: this.file, why, principals: next.names.size }, 'auth file reloaded');
    } catch (err) {
      this.log.error({ file: this.file, why, err: err instanceof Error ? err.message : String(err) }, 'auth file not reloaded: keeping the previous version in force');
      return;
    }
    for (const listener of this.listeners) listener();
  }
}
