// Starts Microsoft 365 Agents Playground (the local Teams client and Bot Connector) pointed at the bot, for the demo.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export const DEFAULT_PLAYGROUND_PORT = 56150;

export interface PlaygroundProcess {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
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
  return {
    url: `http://localhost:${port}/`,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
