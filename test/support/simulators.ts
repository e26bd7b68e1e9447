// Simulators for tests: fast time, quiet timers, stopped after each test.
import { UcwaSimulator } from '../../src/simulator';
import type { SimulatorOptions } from '../../src/simulator';

/** Timers long enough never to fire during a test unless a test shortens them on purpose. */
export const QUIET: Partial<SimulatorOptions> = {
  pgetIdleTimeoutSeconds: 1e6,
  pgetInitialIdleTimeoutSeconds: 1e6,
  activityTimeoutSeconds: 1e6,
  answerWindowSeconds: 1e6,
};

/**
 * Registers an afterEach that stops every simulator started through it (call inside a describe body). Simulators
 * run at timeScale 0.001 (a 180 s hold is 180 ms) with QUIET timers, then `defaults`, then the test's own options.
 */
export function useSimulators(defaults: Partial<SimulatorOptions> = {}): { start(options?: Partial<SimulatorOptions>): Promise<UcwaSimulator> } {
  const running: UcwaSimulator[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });
  return {
    async start(options = {}) {
      const sim = await new UcwaSimulator({ port: 0, timeScale: 0.001, ...QUIET, ...defaults, ...options }).start();
      running.push(sim);
      return sim;
    },
  };
}
