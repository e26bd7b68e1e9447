// The README's run command with nothing configured: the local demo (bot + simulator + Agents Playground) starts,
// prints the one URL to open, the `demo` command brings one invitation of each kind, and Ctrl-C stops it cleanly.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, freePort } from '../support/ports';

describe('npm start with nothing configured: the local demo', function () {
  this.timeout(60_000);
  let child: ChildProcess;
  let output = '';

  // npm runs the bot in a child shell; like a terminal's Ctrl-C, signals go to the whole process group.
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  after(() => {
    if (child) signalGroup('SIGKILL');
  });

  it('starts, says where to look, sends demo invitations on request, and shuts down on Ctrl-C', async () => {
    const [botPort, playgroundPort] = [await freePort(), await freePort()];
    // The README's own command, from the package root; only the store is moved out of the checkout (the build
    // step of `prestart` has already run: the tests run on dist/).
    const root = path.resolve(__dirname, '../../..');
    const store = path.join(mkdtempSync(path.join(os.tmpdir(), 'demo-')), 'bot.db');
    child = spawn('npm', ['start', '--ignore-scripts', '--silent'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? os.tmpdir(),
        PORT: String(botPort),
        DEMO_PLAYGROUND_PORT: String(playgroundPort),
        STORAGE_URL: `sqlite:${store}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));

    const url = await eventually('the demo URL', () => /Open (http:\/\/localhost:\d+\/)/.exec(output)?.[1], 300, 100);
    assert.equal(url, `http://localhost:${playgroundPort}/`);
    const base = `http://127.0.0.1:${playgroundPort}`;
    const config = await eventually('the playground', async () => {
      try {
        const res = await fetch(`${base}/_internal/v1/testConfig`);
        return res.ok ? ((await res.json()) as { config: { personalChat: { id: string } } }).config : undefined;
      } catch {
        return undefined;
      }
    }, 300, 100);
    const chat = config.personalChat.id;
    const post = (p: string, body: unknown) => fetch(`${base}${p}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    assert.ok((await post(`/_debug/conversation/${chat}/installation`, {})).ok);
    // The demo account connects in the background; `demo` says so until it is ready, so ask until it works.
    await eventually('three demo invitations', async () => {
      const before = output.length;
      await post(`/_conversation/v1/conversations/${chat}/messages`, { from: { id: 'user-id-0' }, text: 'demo', textFormat: 'plain' });
      await eventually('the bot to answer', () => (output.length > before ? true : undefined), 100, 50).catch(() => undefined);
      return /"message":"bot sent demo invitations","count":3/.test(output) ? true : undefined;
    }, 40, 250);

    signalGroup('SIGINT');
    // npm itself may die of the signal; the bot is done when the last holder of the output pipe has exited.
    await new Promise<void>((resolve) => child.stdout!.once('close', resolve));
    assert.match(output, /shutting down/);
    assert.match(output, /"message":"stopped cleanly"/, output.slice(-2000));
    assert.doesNotMatch(output, /could not delete the UCWA application/);
    const closed = async (url: string) => fetch(url, { signal: AbortSignal.timeout(2_000) }).then(() => false, () => true);
    assert.ok(await closed(`${base}/`), 'the playground is gone');
    assert.ok(await closed(`http://127.0.0.1:${botPort}/healthz`), 'the bot is gone');
  });
});
