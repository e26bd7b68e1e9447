// The pieces of /api/messages that decide what is accepted: headers, the capped body reader, bounded JSON, the
// activity's required fields, and the rate-limited rejection log.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import sinon from 'sinon';
import { routeLibraryConsole } from '../../bot/http/library-console';
import { RejectionLog } from '../../bot/http/rejection-log';
import { checkActivity, checkHeaders, DEFAULT_LIMITS, isJsonUtf8, isRejection, nestingExceeds, parseJsonObject, readBody } from '../../bot/http/request-guard';
import { RecordingLogger } from './helpers';

const ACTIVITY = { type: 'message', channelId: 'msteams', serviceUrl: 'https://smba.trafficmanager.net/amer/', conversation: { id: 'c' }, from: { id: 'u' }, recipient: { id: 'b' } };

describe('request guard', () => {
  it('accepts application/json (UTF-8 or no charset) and nothing else', () => {
    for (const ok of ['application/json', 'Application/JSON; charset=UTF-8', 'application/json; charset="utf-8"', 'application/json;charset=utf8']) assert.ok(isJsonUtf8(ok), ok);
    for (const bad of [undefined, '', 'text/plain', 'application/json-patch+json', 'application/json; charset=latin1', 'multipart/form-data; boundary=x']) assert.ok(!isJsonUtf8(bad), String(bad));
  });

  it('refuses content encodings and announced lengths over the cap from the headers alone', () => {
    const json = { 'content-type': 'application/json' };
    assert.equal(checkHeaders(json, DEFAULT_LIMITS), undefined);
    assert.equal(checkHeaders({ ...json, 'content-encoding': 'identity' }, DEFAULT_LIMITS), undefined);
    assert.equal(checkHeaders({ ...json, 'content-encoding': 'gzip' }, DEFAULT_LIMITS)?.status, 415);
    assert.equal(checkHeaders({ ...json, 'content-encoding': 'deflate' }, DEFAULT_LIMITS)?.status, 415);
    assert.equal(checkHeaders({ ...json, 'content-length': String(DEFAULT_LIMITS.maxBytes + 1) }, DEFAULT_LIMITS)?.status, 413);
    assert.equal(checkHeaders({ 'content-type': 'text/plain' }, DEFAULT_LIMITS)?.reason, 'content-type');
  });

  it('reads a body up to the cap and refuses one byte more, without keeping what follows', async () => {
    const under = new PassThrough();
    const read = readBody(under as unknown as IncomingMessage, 10);
    under.end(Buffer.from('0123456789'));
    assert.equal((await read).toString(), '0123456789');

    const over = new PassThrough();
    const refused = readBody(over as unknown as IncomingMessage, 10);
    over.write(Buffer.from('01234'));
    over.write(Buffer.from('567890'));
    const result = await refused;
    assert.ok(isRejection(result) && result.status === 413);
    // The rest is drained and dropped: the stream keeps flowing.
    over.end(Buffer.alloc(1000));
    await new Promise((resolve) => over.once('end', resolve));
  });

  it('counts nesting without recursion, ignoring brackets inside strings', () => {
    assert.equal(nestingExceeds('{"a":[[1]]}', 3), false);
    assert.equal(nestingExceeds('{"a":[[[1]]]}', 3), true);
    assert.equal(nestingExceeds('{"a":"[[[[[[\\"[[["}', 1), false);
    assert.equal(nestingExceeds('['.repeat(1_000_000), 64), true);
  });

  it('parses UTF-8 JSON objects only', () => {
    const parse = (text: string | Buffer) => parseJsonObject(Buffer.isBuffer(text) ? text : Buffer.from(text), 64);
    assert.deepEqual(parse('{"a":1}'), { a: 1 });
    for (const bad of ['[]', 'null', '"x"', '1', '{', '']) assert.equal((parse(bad) as { status?: number }).status, 400, bad);
    assert.equal((parse(Buffer.from([0x7b, 0xff, 0x7d])) as { reason?: string }).reason, 'malformed-json');
    assert.equal((parse(`{"v":${'['.repeat(65)}${']'.repeat(65)}}`) as { reason?: string }).reason, 'too-deep');
  });

  it('requires the fields every activity carries', () => {
    assert.ok(!isRejection(checkActivity(ACTIVITY)));
    assert.ok(!isRejection(checkActivity({ ...ACTIVITY, value: 'garbage' })), 'value is the bot\'s to judge');
    for (const broken of [
      { type: 'message', value: 'garbage' },
      { ...ACTIVITY, type: '' },
      { ...ACTIVITY, serviceUrl: 'javascript:alert(1)' },
      { ...ACTIVITY, conversation: 'c' },
      { ...ACTIVITY, from: {} },
      { ...ACTIVITY, recipient: null },
      { ...ACTIVITY, text: { not: 'text' } },
    ]) {
      const result = checkActivity(broken as Record<string, unknown>);
      assert.ok(isRejection(result) && result.status === 400, JSON.stringify(broken));
    }
  });
});

describe('rejection log', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => (clock = sinon.useFakeTimers()));
  afterEach(() => clock.restore());

  it('logs the first few refusals per reason and window, then one summary line for the rest', () => {
    const log = new RecordingLogger();
    const rejections = new RejectionLog(log, { perWindow: 3, windowMs: 60_000, now: () => clock.now });
    for (let i = 0; i < 50; i++) rejections.record('token-missing', { status: 401 });
    rejections.record('content-type', { status: 415 });
    const lines = () => log.entries.filter((e) => e.message === 'request rejected');
    assert.equal(lines().filter((e) => e.fields?.reason === 'token-missing').length, 3);
    assert.equal(lines().filter((e) => e.fields?.reason === 'content-type').length, 1, 'each reason has its own budget');
    assert.ok(!log.entries.some((e) => e.message.includes('suppressed')), 'no summary before the window ends');

    clock.tick(60_000);
    const summary = log.entries.filter((e) => e.message === '47 more rejected requests suppressed');
    assert.equal(summary.length, 1);
    assert.equal(summary[0].fields?.reason, 'token-missing');

    rejections.record('token-missing', { status: 401 });
    assert.equal(lines().filter((e) => e.fields?.reason === 'token-missing').length, 4, 'a new window logs again');
    rejections.stop();
  });
});

describe('library console output', () => {
  it('becomes one JSON-able log entry per call: the first line only, rate-limited like refusals', () => {
    const log = new RecordingLogger();
    const restore = routeLibraryConsole(new RejectionLog(log, { perWindow: 2 }));
    try {
      console.error(new Error('invalid signature'));
      console.warn('BadRequest: Missing activity or activity type.');
      console.error('Error finding key for token. Available keys: -----BEGIN RSA PUBLIC KEY-----\nMIIB...\n-----END RSA PUBLIC KEY-----');
    } finally {
      restore();
    }
    assert.deepEqual(
      log.entries.map((e) => e.fields?.text),
      ['Error: invalid signature', 'BadRequest: Missing activity or activity type.'],
    );
    assert.ok(log.entries.every((e) => e.fields?.reason === 'library-output'));
  });
});
