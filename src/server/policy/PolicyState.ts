import type { Logger } from 'pino';
import type { ActionCatalog } from '../../domain/catalog.js';
import { DEFAULT_POLICY, type Policy } from '../../domain/policy.js';
import { parsePolicy } from './parsePolicy.js';
import { readConfigText } from '../../shared/readConfigFile.js';

/**
 * The policy in force: the built-in default (recommend, no rules) without a
 * file. A file is read again on SIGHUP; one that does not load is logged and
 * the previous policy stays in force.
 */
export class PolicyState {
  private policy: Policy;
  private loaded = Date.now();
  private readonly onSighup = (): void => this.reload();

  /** `defaults` is what a file that leaves a setting out gets: the server's own settings. */
  constructor(
    private readonly file: string | null,
    private readonly catalog: ActionCatalog,
    private readonly log: Logger,
    private readonly defaults: Policy = DEFAULT_POLICY,
  ) {
    this.policy = file === null ? defaults : this.load(file);
  }

  get current(): Policy {
    return this.policy;
  }

  get loadedAt(): number {
    return this.loaded;
  }

  start(): void {
    if (this.file !== null) process.on('SIGHUP', this.onSighup);
  }

  stop(): void {
    process.off('SIGHUP', this.onSighup);
  }

  reload(): void {
    if (this.file === null) return;
    try {
      this.policy = this.load(this.file);
      this.loaded = Date.now();
      this.log.info({ file: this.file, mode: this.policy.mode, rules: this.policy.rules.length }, 'policy reloaded');
    } catch (err) {
      this.log.error({ file: this.file, err: err instanceof Error ? err.message : String(err) }, 'policy not reloaded: keeping the previous one in force');
    }
  }

  /** The file's policy; a file that cannot be read is a ConfigError naming it, like one that does not load. */
  private load(file: string): Policy {
    return parsePolicy(readConfigText(file, '--policy'), file, this.catalog, this.defaults);
  }
}
