import type { ServerResponse } from 'node:http';
import type { Principal } from '../../domain/roles.js';
import type { DisposableCallContext } from '../callContext.js';

/**
 * The context of one HTTP request. Its signal aborts when the client goes away
 * before the answer, or the server shuts down; made on first use, as most
 * requests never wait.
 */
export class HttpCallContext implements DisposableCallContext {
  private controller: AbortController | undefined;
  private readonly abort = (): void => this.controller?.abort();
  private readonly onClose = (): void => {
    if (!this.response.writableFinished) this.abort();
  };

  constructor(
    private readonly response: ServerResponse,
    readonly principal: Principal,
    private readonly shutdown: AbortSignal,
  ) {}

  get actor(): string {
    return this.principal.name;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.response.destroyed || this.shutdown.aborted) {
        this.controller.abort();
      } else {
        this.response.once('close', this.onClose);
        this.shutdown.addEventListener('abort', this.abort, { once: true });
      }
    }
    return this.controller.signal;
  }

  dispose(): void {
    if (this.controller === undefined) return;
    this.response.off('close', this.onClose);
    this.shutdown.removeEventListener('abort', this.abort);
  }
}
