/**
 * A one-shot timer whose clock can be stopped: a paused command's timeout does
 * not run while it is stopped, so a long pause does not time it out.
 */
export class PausableTimer {
  private timer: NodeJS.Timeout | undefined;
  private remainingMs: number;
  private runningSince = 0;
  private done = false;

  constructor(ms: number, private readonly fire: () => void) {
    this.remainingMs = ms;
    this.resume();
  }

  pause(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.remainingMs -= Date.now() - this.runningSince;
  }

  resume(): void {
    if (this.timer !== undefined || this.done) return;
    this.runningSince = Date.now();
    this.timer = setTimeout(() => {
      this.done = true;
      this.timer = undefined;
      this.fire();
    }, Math.max(0, this.remainingMs));
  }

  clear(): void {
    this.done = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
