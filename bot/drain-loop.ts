// The drive shared by the card notifier and the message relay: a pass over stored work runs when something says work
// was queued (kick) and on a timer (so a failed send is retried without waiting for the next change). Kicks during a
// pass fold into one more pass; a failed pass is logged, never thrown, because callers fire and forget (`void kick()`)
// and an unhandled rejection would end the process.

export class DrainLoop {
  private draining?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;
  private halted = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly onFailedPass: (err: Error) => void,
  ) {}

  /** Whether stop() was called: a pass in progress checks this between items. */
  get stopped(): boolean {
    return this.halted;
  }

  /** Something changed: run a pass soon (or one more after the current one). */
  kick(): Promise<void> {
    if (this.halted) return Promise.resolve();
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again);
      } catch (err) {
        this.onFailedPass(err as Error);
      } finally {
        this.draining = undefined;
      }
    })();
    return this.draining;
  }

  /** Asks for one more pass after the current one (work found during a pass that the pass could not finish). */
  passAgain(): void {
    this.again = true;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.kick(), intervalMs);
    this.timer.unref();
    void this.kick();
  }

  /** No more passes; resolves with the pass in progress (if any), for the caller to await or race. */
  stop(): Promise<void> {
    this.halted = true;
    if (this.timer) clearInterval(this.timer);
    return this.draining ?? Promise.resolve();
  }
}
