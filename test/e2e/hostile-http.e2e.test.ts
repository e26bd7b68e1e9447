// /api/messages as an attacker sees it: the real bot process in authenticated mode (an app id, tokens checked against
// a local stand-in for the Bot Framework's signing keys), hit with what restify's body parser used to choke on and
// more. Afterwards the process must still be up and answering, its memory bounded, nothing written (no temp files,
// no store rows) and every line it logged one JSON object.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { BotFrameworkKeys } from '../support/bot-framework-keys';
import { freePort } from '../support/ports';
import { requestHead, sendRaw, SocketExchange } from '../support/raw-socket';
import { BotProcess } from './bot-process';

const APP_ID = '5f0c2d1e-9a8b-4c7d-8e6f-0a1b2c3d4e5f';
const APP_PASSWORD = 'Made-Up~Bot-Secret.0123456789';
const SERVICE_URL = 'https://smba.trafficmanager.net/amer/';
const MB = 1024 * 1024;

/** An Action.Execute click on a card whose invitation the bot does not know: answered in the HTTP response itself. */
const CLICK = {
  type: 'invoke',
  name: 'adaptiveCard/action',
  id: 'invoke-1',
  channelId: 'msteams',
  serviceUrl: SERVICE_URL,
  from: { id: '29:alex', aadObjectId: 'aaaaaaaa-1111-4111-8111-000000000001' },
  recipient: { id: `28:${APP_ID}` },
  conversation: { id: 'a:alex-personal', conversationType: 'personal' },
  value: { action: { type: 'Action.Execute', verb: 'accept', data: { invitationId: 'AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB' } }, trigger: 'manual' },
};

function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1]);
}

describe('hostile HTTP against the bot process (authenticated mode)', function () {
  this.timeout(30_000);
  let keys: BotFrameworkKeys;
  let bot: BotProcess;
  let port: number;
  let tmp: string;
  let dbFile: string;
  let storeBefore: unknown[];
  let token: string;

  const storeRows = () => {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT key, etag FROM items ORDER BY key').all();
    } finally {
      db.close();
    }
  };
  const post = (headers: Record<string, string>, body: string | Buffer, options = {}): Promise<SocketExchange> => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    return sendRaw(port, [requestHead('POST', '/api/messages', { 'Content-Length': String(bytes.length), ...headers }), bytes], options);
  };
  const json = { 'Content-Type': 'application/json' };
  const authorized = () => ({ ...json, Authorization: `Bearer ${token}` });

  before(async () => {
    keys = await BotFrameworkKeys.start();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'hostile-tmp-'));
    dbFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'hostile-db-')), 'bot.db');
    port = await freePort();
    bot = await BotProcess.start(port, {
      MicrosoftAppId: APP_ID,
      MicrosoftAppPassword: APP_PASSWORD,
      MicrosoftAppType: 'MultiTenant',
      ToBotFromChannelOpenIdMetadataUrl: keys.metadataUrl,
      HTTP_REQUEST_TIMEOUT_MS: '1000',
      STORAGE_URL: `sqlite:${dbFile}`,
      TMPDIR: tmp,
      DEMO_PLAYGROUND: 'off',
    });
    token = keys.channelToken({ audience: APP_ID, serviceUrl: SERVICE_URL });
    storeBefore = storeRows();
  });

  after(async () => {
    if (bot) await bot.stop();
    await keys?.stop();
  });

  it('a valid channel token with a valid activity gets through (the click is answered by the bot)', async () => {
    const res = await post(authorized(), JSON.stringify(CLICK));
    // botbuilder answers an invoke with the handler's status code; the bot's own answer is the body.
    assert.equal(res.status, 404, res.head + res.body);
    const answer = JSON.parse(res.body) as { statusCode: number; value: { code: string } };
    assert.equal(answer.statusCode, 404);
    assert.equal(answer.value.code, 'NotFound');
    assert.ok(keys.fetches.includes('/v1/.well-known/keys'), 'the keys came from the stand-in');
  });

  it('a gzip body that is not gzip is refused (415) and the process lives on', async () => {
    const res = await post({ ...authorized(), 'Content-Encoding': 'gzip' }, '{"type":"message"}');
    assert.equal(res.status, 415);
    assert.ok(bot.alive);
  });

  it('a gzip bomb is refused (415) without being inflated: memory stays bounded', async () => {
    const bomb = gzipSync(Buffer.alloc(200 * MB), { level: 9 });
    const before = rssKb(bot.pid!);
    const answers = await Promise.all([1, 2].map(() => post({ ...authorized(), 'Content-Encoding': 'gzip' }, bomb)));
    for (const res of answers) assert.equal(res.status, 415);
    const grownMb = (rssKb(bot.pid!) - before) / 1024;
    assert.ok(grownMb < 100, `RSS grew ${grownMb.toFixed(1)} MB`);
  });

  it('a multipart upload is refused (415) and no file appears in the temp directory', async () => {
    const boundary = 'x-boundary-1234';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      Buffer.alloc(2 * MB, 0x61),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await post({ Authorization: `Bearer ${token}`, 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body);
    assert.equal(res.status, 415);
    assert.deepEqual(readdirSync(tmp), []);
  });

  it('wrong or missing content types are refused with 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/jsonp', undefined]) {
      const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
      if (type) headers['Content-Type'] = type;
      const res = await post(headers, JSON.stringify(CLICK));
      assert.equal(res.status, 415, `Content-Type ${type}`);
    }
  });

  it('a body over 1 MB is refused with 413, announced (before it is sent) or streamed (at the cap)', async () => {
    const announced = await sendRaw(port, [requestHead('POST', '/api/messages', { ...authorized(), 'Content-Length': String(5 * MB) })]);
    assert.equal(announced.status, 413);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const chunks = Array.from({ length: 64 }, () => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    const streamed = await sendRaw(port, [requestHead('POST', '/api/messages', { ...authorized(), 'Transfer-Encoding': 'chunked' }), ...chunks]);
    // No Content-Length: only counting the bytes as they arrive can give this answer.
    assert.equal(streamed.status, 413);
  });

  it('a body trickled byte by byte is cut off by the request timeout', async () => {
    const head = requestHead('POST', '/api/messages', { ...authorized(), 'Content-Length': '200' });
    const bytes = Array.from({ length: 200 }, () => ' ');
    const res = await sendRaw(port, [head, ...bytes], { gapMs: 50, stopOnResponse: false, timeoutMs: 20_000 });
    assert.equal(res.status, 408);
    assert.ok(res.partsWritten < bytes.length + 1, 'before the body was complete');
  });

  it('headers trickled byte by byte are cut off by the headers timeout (408)', async () => {
    const head = requestHead('POST', '/api/messages', { ...json, 'X-Slow': 'a'.repeat(200) });
    const res = await sendRaw(port, [...head], { gapMs: 50, stopOnResponse: false, timeoutMs: 20_000 });
    assert.equal(res.status, 408);
    assert.ok(res.partsWritten < head.length, 'before the headers were complete');
  });

  it('huge headers are refused with 431', async () => {
    const res = await sendRaw(port, [requestHead('POST', '/api/messages', { ...json, 'X-Huge': 'h'.repeat(32 * 1024) })]);
    assert.equal(res.status, 431);
  });

  it('deeply nested JSON is refused with 400 before anything walks it', async () => {
    const depth = 100_000;
    const res = await post(authorized(), `{"type":"message","value":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    assert.equal(res.status, 400);
    assert.match(res.body, /nested too deeply/);
  });

  it('JSON whose top level is not an object, or not an activity, is refused with 400', async () => {
    for (const body of ['[]', '"message"', 'null', '42', '{"type":"message"', '{"type":"message","value":"garbage"}']) {
      const res = await post(authorized(), body);
      assert.equal(res.status, 400, body);
    }
  });

  it('forged, expired, wrongly addressed or missing tokens get 401 with no library text', async () => {
    const tokens = {
      forged: keys.channelToken({ audience: APP_ID, serviceUrl: SERVICE_URL, forged: true }),
      expired: keys.channelToken({ audience: APP_ID, serviceUrl: SERVICE_URL, expiresIn: -3600 }),
      'wrong audience': keys.channelToken({ audience: '00000000-0000-4000-8000-000000000000', serviceUrl: SERVICE_URL }),
      'wrong issuer': keys.channelToken({ audience: APP_ID, serviceUrl: SERVICE_URL, issuer: 'https://attacker.example.com' }),
      'another service URL': keys.channelToken({ audience: APP_ID, serviceUrl: 'https://attacker.example.com/' }),
    };
    for (const [what, value] of Object.entries(tokens)) {
      const res = await post({ ...json, Authorization: `Bearer ${value}` }, JSON.stringify(CLICK));
      assert.equal(res.status, 401, what);
      assert.deepEqual(JSON.parse(res.body), { error: 'unauthorized' }, what);
    }
  });

  it('without a token the request is refused (401) before its body is read', async () => {
    // Only the head is sent, announcing a body that never comes: the answer cannot depend on reading it.
    const res = await sendRaw(port, [requestHead('POST', '/api/messages', { ...json, 'Content-Length': '1000' })]);
    assert.equal(res.status, 401);
    assert.deepEqual(JSON.parse(res.body), { error: 'unauthorized' });
  });

  it('afterwards: the process is alive and healthy, nothing was written, every log line is JSON', async () => {
    assert.ok(bot.alive, 'the process is still running');
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    assert.deepEqual(storeRows(), storeBefore, 'no store rows from refused requests');
    assert.deepEqual(readdirSync(tmp), [], 'no temp files');
    const lines = bot.stderr.split('\n').filter((l) => l.trim() !== '');
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not a JSON line: ${line}`);
    assert.ok(lines.some((l) => l.includes('"message":"request rejected"')), 'refusals are logged');
    assert.ok(!bot.log.includes(APP_PASSWORD), 'the app password is never logged');
    assert.ok(!bot.log.includes(token), 'no token is logged');
  });
});
