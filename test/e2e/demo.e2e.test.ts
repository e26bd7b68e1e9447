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

  after(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('starts, says where to look, sends demo invitations on request, and shuts down on Ctrl-C', async () => {
    const [botPort, playgroundPort] = [await freePort(), await freePort()];
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'demo-'));
    child = spawn(process.execPath, [path.resolve(__dirname, '../../bot/index.js')], {
      cwd,
      env: { PATH: process.env.PATH ?? '', PORT: String(botPort), DEMO_PLAYGROUND_PORT: String(playgroundPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
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

    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, output.slice(-2000));
    assert.match(output, /shutting down/);
    assert.doesNotMatch(output, /could not delete the UCWA application/);
  });
});
