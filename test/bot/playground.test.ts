// Where the local demo's Agents Playground listens: a port outside Linux's ephemeral range by default, any free port
// when that one is taken or 0 is asked for, and only ever on the loopback address.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { choosePlaygroundPort, DEFAULT_PLAYGROUND_PORT } from '../../bot/playground';
import { withLoopbackHost } from '../../bot/loopback-listen';

async function occupy(port: number): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

describe('the demo playground port', () => {
  it('defaults to a port outside the ephemeral range 32768-60999, where an outgoing connection can hold it', () => {
    assert.ok(DEFAULT_PLAYGROUND_PORT < 32768 || DEFAULT_PLAYGROUND_PORT > 60999, String(DEFAULT_PLAYGROUND_PORT));
  });

  it('0 means any free port', async () => {
    const port = await choosePlaygroundPort(0);
    assert.ok(port !== undefined && port > 0);
    (await occupy(port)).close();
  });

  it('an asked-for port that is taken is reported (undefined), not silently moved', async () => {
    const busy = await occupy(0);
    try {
      assert.equal(await choosePlaygroundPort((busy.address() as net.AddressInfo).port), undefined);
    } finally {
      busy.close();
    }
  });

  it('with no setting and the default taken, falls back to another free port', async () => {
    let busy: net.Server | undefined;
    try {
      busy = await occupy(DEFAULT_PLAYGROUND_PORT);
    } catch {
      // Someone else holds it already: the fallback is exercised all the same.
    }
    try {
      const port = await choosePlaygroundPort(undefined);
      assert.ok(port !== undefined && port !== DEFAULT_PLAYGROUND_PORT);
    } finally {
      busy?.close();
    }
  });
});

describe('the playground listens on the loopback address only', () => {
  it('fills in 127.0.0.1 wherever a listen names no host, and leaves a named host alone', () => {
    const cb = () => undefined;
    assert.deepEqual(withLoopbackHost([56150, cb]), [56150, '127.0.0.1', cb]);
    assert.deepEqual(withLoopbackHost([56150]), [56150, '127.0.0.1']);
    assert.deepEqual(withLoopbackHost([56150, undefined, 511, cb]), [56150, '127.0.0.1', 511, cb]);
    assert.deepEqual(withLoopbackHost([{ port: 56150 }, cb]), [{ port: 56150, host: '127.0.0.1' }, cb]);
    assert.deepEqual(withLoopbackHost([56150, '::1', cb]), [56150, '::1', cb]);
    assert.deepEqual(withLoopbackHost([{ path: '/tmp/x.sock' }]), [{ path: '/tmp/x.sock' }]);
  });

  it('a process started with the preload binds a host-less listen to 127.0.0.1', () => {
    const preload = path.resolve(__dirname, '../../bot/loopback-listen.js');
    const script = "const s = require('node:http').createServer(); s.listen(0, () => { console.log(s.address().address); s.close(); });";
    const run = spawnSync(process.execPath, ['--require', preload, '-e', script], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(run.stdout.trim(), '127.0.0.1', run.stderr);
  });
});
