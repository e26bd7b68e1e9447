// The `ucwa-simulator` command: it prints its discovery URL and serves it; a bad option stops it with one clear line.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { rawRequest } from '../support/raw-http';
import { grantToken, link, parseResource } from './helpers';

// The compiled CLI, next to this compiled test: dist/test/simulator -> dist/src/cli.
const CLI = path.resolve(__dirname, '../../src/cli/ucwa-simulator.js');

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    rl.once('line', (line) => {
      rl.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`the simulator exited (${code}) before printing: ${err}`)));
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe('simulator: the ucwa-simulator command', () => {
  const children: ChildProcess[] = [];
  const tmp: string[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('prints its discovery URL first, serves the discovery root there, and stops on SIGTERM', async () => {
    const child = run(['--port', '0']);
    children.push(child);
    const line = await firstLine(child);
    const m = /discovery URL (http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(line);
    assert.ok(m, `first line names the discovery URL: ${line}`);
    assert.notEqual(m[2], '0');
    const res = await rawRequest(m[1], { headers: { Accept: 'application/json' } });
    assert.equal(res.status, 200);
    const root = parseResource('json', res.body);
    assert.ok(link(root, 'user').startsWith(m[1].replace(/\/$/, '')));
    // The demo users sign in with the documented password.
    assert.ok((await grantToken(m[1].replace(/\/$/, ''), 'meganb@example.com', 'demo')).length > 0);
    const done = exited(child);
    child.kill('SIGTERM');
    const end = await done;
    assert.equal(end.code, 0);
  });

  it('serves the users of a --users file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ucwa-sim-cli-'));
    tmp.push(dir);
    const file = path.join(dir, 'users.json');
    fs.writeFileSync(file, JSON.stringify([{ upn: 'zoe@contoso.com', password: 'pw-zoe' }]));
    const child = run(['--port', '0', '--users', file]);
    children.push(child);
    const origin = /(http:\/\/\S+?)\/ /.exec(await firstLine(child))![1];
    assert.ok((await grantToken(origin, 'zoe@contoso.com', 'pw-zoe')).length > 0);
    const refused = await rawRequest(`${origin}/WebTicket/oauthtoken`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&username=alexw%40example.com&password=demo' });
    assert.equal(refused.status, 400);
  });

  for (const bad of [['--port', 'abc'], ['--port', '70000'], ['--port', ''], ['--port', '-1'], ['--port', '0x50'], ['--port']]) {
    it(`exits non-zero with one clear line for ${bad.join(' ') || '(nothing)'}`, async () => {
      const child = run(bad);
      children.push(child);
      const end = await exited(child);
      assert.notEqual(end.code, 0);
      assert.equal(end.stdout, '');
      const lines = end.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line, got: ${end.stderr}`);
      assert.match(lines[0], /^ucwa-simulator: .*--port/);
    });
  }

  it('exits non-zero with one clear line for a users file that does not exist', async () => {
    const child = run(['--port', '0', '--users', path.join(os.tmpdir(), 'no-such-users-file.json')]);
    children.push(child);
    const end = await exited(child);
    assert.notEqual(end.code, 0);
    const lines = end.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, end.stderr);
    assert.match(lines[0], /^ucwa-simulator: users file .*no-such-users-file\.json/);
  });
});
