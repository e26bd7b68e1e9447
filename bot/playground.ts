// Starts Microsoft 365 Agents Playground (the local Teams client and Bot Connector) pointed at the bot, for the demo.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const LOOPBACK = '127.0.0.1';

/**
 * Beside the bot's 3978, and outside Linux's ephemeral range (32768-60999): the playground's own default, 56150, is
 * inside it, so the local end of any outgoing connection can hold it while nothing listens there.
 */
export const DEFAULT_PLAYGROUND_PORT = 3979;

export interface PlaygroundProcess {
  url: string;
  process: ChildProcess;
  /** Resolves once the playground answers on its port; rejects if it exits or does not answer in time. */
  ready(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Whether `port` cannot be listened on at the loopback address (the playground would silently move elsewhere). */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(true));
    probe.listen(port, LOOPBACK, () => probe.close(() => resolve(false)));
  });
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The port the playground will use: the one asked for (undefined when it is in use: the caller names the problem),
 * any free one for 0, and for no setting the default or, when that is taken, any free one.
 */
export async function choosePlaygroundPort(requested: number | undefined): Promise<number | undefined> {
  if (requested === 0) return freeLoopbackPort();
  if (requested !== undefined) return (await portInUse(requested)) ? undefined : requested;
  return (await portInUse(DEFAULT_PLAYGROUND_PORT)) ? freeLoopbackPort() : DEFAULT_PLAYGROUND_PORT;
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
  // The playground has no host option and listens on every interface; like the unauthenticated bot, it must be
  // reachable from this machine only, so a preloaded module binds its listeners to the loopback address.
  const loopbackOnly = require.resolve('./loopback-listen');
  const child = spawn(process.execPath, ['--require', loopbackOnly, cli, '-e', `http://127.0.0.1:${botPort}/api/messages`, '-c', 'msteams', '-p', String(port), '--disable-telemetry'], {
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
          return (await fetch(`http://${LOOPBACK}:${port}/`, { signal: AbortSignal.timeout(2_000) })).ok;
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
