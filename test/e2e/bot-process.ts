// Runs the bot as a real process (node dist/bot/index.js) with a given environment, for end-to-end tests.
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { eventually } from '../support/ports';

export class BotProcess {
  private output = '';
  private errorOutput = '';
  private constructor(readonly port: number, private readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => {
      this.output += d.toString();
      this.errorOutput += d.toString();
    });
  }

  /** What the process wrote to stderr alone (its log: one JSON object per line). */
  get stderr(): string {
    return this.errorOutput;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Still running (it has not exited or crashed). */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the process printed (logs included), to check what it says and what it must never say. */
  get log(): string {
    return this.output;
  }

  /** `as`: run under another user (the tests run as root, for whom file permissions do not stop writes). */
  static async start(port: number, env: Record<string, string>, as?: { uid: number; gid: number }): Promise<BotProcess> {
    const entry = path.resolve(__dirname, '../../bot/index.js');
    const child = spawn(process.execPath, [entry], { env: { PATH: process.env.PATH ?? '', PORT: String(port), LOG_LEVEL: 'debug', INSTANCE_ID: `e2e-bot-${port}`, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...as });
    const bot = new BotProcess(port, child);
    await eventually('the bot to answer /healthz', async () => {
      if (child.exitCode !== null) throw new Error(`the bot exited (${child.exitCode}): ${bot.log}`);
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined;
      } catch {
        return undefined;
      }
    }, 200, 50);
    return bot;
  }

  /** Kills the process at once, as a crash would: no clean shutdown, nothing deleted. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }

  /** Ctrl-C: the clean shutdown path. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    return new Promise((resolve) => {
      this.child.once('exit', (code) => resolve(code));
      this.child.kill('SIGINT');
    });
  }
}
