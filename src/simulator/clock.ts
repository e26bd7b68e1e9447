// Scaled timers. Every duration in the simulator is given in protocol seconds (the documented defaults) and turned into
// real milliseconds through one time scale, so tests can run a 180 s P-GET hold in 18 ms. Uses the global timer
// functions so that sinon fake timers can drive it.

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SimTimer {
  cancel(): void;
}

export class SimClock {
  constructor(readonly timeScale: number) {
    if (!(timeScale > 0)) throw new RangeError(`timeScale must be a positive number, got ${timeScale}`);
  }

  /** Real milliseconds for a duration in protocol seconds. */
  ms(seconds: number): number {
    return Math.max(0, Math.round(seconds * 1000 * this.timeScale));
  }

  after(seconds: number, fn: () => void): SimTimer {
    // Node fires a delay above 2^31-1 ms after 1 ms; a "never in this test" duration must not become "now".
    const handle = setTimeout(fn, Math.min(this.ms(seconds), MAX_TIMER_MS));
    // Timers must never keep a finished test or a stopped simulator alive.
    handle.unref?.();
    return { cancel: () => clearTimeout(handle) };
  }

  /** Runs `fn` once the wall clock reaches `epochMs` (e.g. a token's expiry); long waits are re-armed, never cut short. */
  at(epochMs: number, fn: () => void): SimTimer {
    let handle: ReturnType<typeof setTimeout> | undefined;
    let cancelled = false;
    const arm = () => {
      if (cancelled) return;
      const left = epochMs - this.now();
      if (left <= 0 && handle !== undefined) return fn();
      handle = setTimeout(arm, Math.min(Math.max(0, left), MAX_TIMER_MS));
      handle.unref?.();
    };
    arm();
    return {
      cancel: () => {
        cancelled = true;
        if (handle !== undefined) clearTimeout(handle);
      },
    };
  }

  now(): number {
    return Date.now();
  }
}
