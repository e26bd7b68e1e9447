// Bench-only entry: the UCWA simulator with N generated users (user<i>@example.com, password "demo") in its own
// process, on 127.0.0.1 and a free port. It tells its parent (IPC) when it is ready and answers memory questions
// (process.memoryUsage() after a forced GC); it exits when told to, or when its parent goes away.
import { generatedUsers, UcwaSimulator } from '../src/simulator';
import { numArg } from './common';

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/sim-child must be started with an IPC channel (child_process.fork)');
  const users = numArg('users', 1000);
  const timeScale = numArg('time-scale', 1);
  const sim = await new UcwaSimulator({ host: '127.0.0.1', port: 0, timeScale, users: generatedUsers(users) }).start();
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (raw) => {
    const m = raw as { type: string; id?: number };
    if (m.type === 'memory') {
      gc?.();
      gc?.();
      process.send?.({ type: 'memory', id: m.id, usage: process.memoryUsage() });
    } else if (m.type === 'stop') {
      void sim.stop().finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', origin: sim.origin, discoveryUrl: sim.discoveryUrl, users });
}

main().catch((err: Error) => {
  console.error(`sim-child: ${err.message}`);
  process.exit(1);
});
