// Starts Microsoft 365 Agents Playground (the local Teams client and Bot Connector) pointed at the bot, for the demo.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const DEFAULT_PLAYGROUND_PORT = 56150;

export interface PlaygroundProcess {
  url: string;
  process: ChildProcess;
  /** Resolves once the playground answers on its port; rejects if it exits or does not answer in time. */
  ready(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Whether something already listens on `port` (the playground would silently move to another port). */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(true));
    probe.listen(port, () => probe.close(() => resolve(false)));
  });
}

/** Returns undefined when the playground package is not installed (a production install without dev dependencies). */
export function startPlayground(botPort: number, port = DEFAULT_PLAYGROUND_PORT, logDir = path.resolve('data')): PlaygroundProcess | undefined {
  let cli: string;
  try {
    cli = path.join(path.dirname(require.resolve('@microsoft/m365agentsplayground/package.json')), 'cli.js');
  } catch {
    return undefined;
  }
  mkdirSync(logDir, { recursive: true });
  const child = spawn(process.execPath, [cli, '-e', `http://127.0.0.1:${botPort}/api/messages`, '-c', 'msteams', '-p', String(port), '--disable-telemetry'], {
    // Without TEAMSAPPTESTER_BROWSER=none it tries to open a browser and exits on a machine without one.
    env: { ...process.env, TEAMSAPPTESTER_BROWSER: 'none', M365_AGENTS_PLAYGROUND_LOGFILE: path.join(logDir, 'playground.log') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<never>((_resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`Agents Playground exited (code ${code}); see ${path.join(logDir, 'playground.log')}`)));
  });
  exited.catch(() => undefined);
  return {
    url: `http://localhost:${port}/`,
    process: child,
    ready: async (timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      const answers = async (): Promise<boolean> => {
        try {
          return (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) })).ok;
        } catch {
          return false;
        }
      };
      while (!(await Promise.race([answers(), exited]))) {
        if (Date.now() > deadline) throw new Error(`Agents Playground did not answer on port ${port} within ${timeoutMs / 1000} s`);
        await Promise.race([new Promise((r) => setTimeout(r, 200)), exited]);
      }
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
