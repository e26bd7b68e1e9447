// The HTTP surface: /healthz, /readyz, and /api/messages refusing requests without a Bot Framework token once an app
// id is configured (the real process, bot/index.js).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { ActivityHandler } from 'botbuilder';
import type http from 'node:http';
import type { ActivityEndpoint } from '../../bot/http/messages-endpoint';
import { createBotServer, Readiness } from '../../bot/server';
import { MemoryStorage } from '../../src/store';
import { BotProcess } from '../e2e/bot-process';
import { freePort } from '../support/ports';
import { localCloudAdapter, RecordingLogger } from './helpers';

describe('bot HTTP server (createBotServer)', () => {
  let server: http.Server;
  let base: string;
  const log = new RecordingLogger();
  const storage = new MemoryStorage();
  let readiness: () => Promise<Readiness>;

  before(async () => {
    server = createBotServer(localCloudAdapter(log), new ActivityHandler(), () => readiness(), log);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('/healthz answers 200 (alive)', async () => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'alive' });
  });

  it('/readyz answers 200 when storage answers', async () => {
    readiness = async () => {
      await storage.read(['sfb/readiness-probe']);
      return { ready: true, checks: { storage: 'ok', watcher: '0/0 connected' } };
    };
    const res = await fetch(`${base}/readyz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ready: true, checks: { storage: 'ok', watcher: '0/0 connected' } });
  });

  it('/readyz answers 503 when the check throws (and logs why), or says not ready', async () => {
    const closed = new MemoryStorage();
    await closed.close();
    readiness = async () => {
      await closed.read(['sfb/readiness-probe']);
      return { ready: true, checks: {} };
    };
    const res = await fetch(`${base}/readyz`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { ready: false, checks: { readiness: 'error' } });
    assert.ok(log.has('warn', 'readiness check failed'));

    readiness = async () => ({ ready: false, checks: { storage: 'ok', watcher: 'starting' } });
    assert.equal((await fetch(`${base}/readyz`)).status, 503);
  });
});

describe('/api/messages without an app id (local mode)', () => {
  let server: http.Server;
  let base: string;
  const log = new RecordingLogger();
  const ACTIVITY = { type: 'message', channelId: 'msteams', serviceUrl: 'http://127.0.0.1:9/', conversation: { id: 'c' }, from: { id: 'u' }, recipient: { id: 'b' } };
  let failure: Error | undefined;
  const adapter: ActivityEndpoint = {
    requiresToken: false,
    checkToken: async () => 'valid',
    runActivity: async () => {
      if (failure) throw failure;
      return { status: 200, body: { ok: true } };
    },
    isAuthenticationFailure: () => false,
  };

  before(async () => {
    server = createBotServer(adapter, new ActivityHandler(), async () => ({ ready: true, checks: {} }), log);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const post = (body: unknown) => fetch(base, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  it('an activity missing its required fields (value "garbage") is a 400, not a failed turn', async () => {
    const res = await post({ type: 'message', value: 'garbage' });
    assert.equal(res.status, 400);
    assert.ok(log.entries.some((e) => e.message === 'request rejected' && e.fields?.reason === 'not-an-activity'));
  });

  it('a well-formed activity reaches the adapter, whose invoke answer is sent as JSON', async () => {
    const res = await post(ACTIVITY);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
  });

  it('an unexpected adapter failure is a generic 500; its text goes to the log only', async () => {
    failure = new Error('connect ECONNREFUSED internal-host:443');
    try {
      const res = await post(ACTIVITY);
      assert.equal(res.status, 500);
      assert.deepEqual(await res.json(), { error: 'internal error' });
      assert.ok(log.entries.some((e) => e.level === 'error' && e.fields?.reason === 'adapter-failure'));
    } finally {
      failure = undefined;
    }
  });
});

describe('bot process with an app id: /api/messages needs a Bot Framework token', function () {
  this.timeout(20_000);
  const APP_PASSWORD = 'Made-Up~Bot-Secret.0123456789';
  let bot: BotProcess;
  let port: number;

  before(async () => {
    port = await freePort();
    bot = await BotProcess.start(port, {
      MicrosoftAppId: '5f0c2d1e-9a8b-4c7d-8e6f-0a1b2c3d4e5f',
      MicrosoftAppPassword: APP_PASSWORD,
      MicrosoftAppType: 'MultiTenant',
      STORAGE_URL: 'memory:',
      // No UCWA configured: demo mode, without starting Agents Playground.
      DEMO_PLAYGROUND: 'off',
    });
  });
  after(async () => {
    if (bot) assert.equal(await bot.stop(), 0, 'a clean shutdown on SIGINT');
  });

  it('answers /healthz and /readyz', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as Readiness).checks.storage, 'ok');
  });

  it('rejects an activity without Authorization with 401, and the bot never runs it', async () => {
    const activity = {
      type: 'message',
      id: 'unauthenticated-1',
      channelId: 'msteams',
      serviceUrl: 'https://smba.trafficmanager.net/amer/',
      from: { id: '29:attacker', aadObjectId: 'cccccccc-3333-4333-8333-000000000000' },
      recipient: { id: '28:5f0c2d1e-9a8b-4c7d-8e6f-0a1b2c3d4e5f' },
      conversation: { id: 'a:attacker', conversationType: 'personal' },
      text: 'status',
    };
    const res = await fetch(`http://127.0.0.1:${port}/api/messages`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(activity) });
    assert.equal(res.status, 401);
    assert.ok(!bot.log.includes('"message":"turn failed"'), 'no turn ran');
    assert.ok(!bot.log.includes(APP_PASSWORD), 'the app password is never logged');
  });
});
