// STORAGE_URL: what each value opens, and one-line errors that name the variable and never echo secrets.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { StorageConfigError } from '../../src/store/errors';
import { MemoryStorage } from '../../src/store/memory-storage';
import { SqliteStorage } from '../../src/store/sqlite-storage';
import { DEFAULT_STORAGE_URL, openStorage, parseStorageUrl } from '../../src/store/storage-url';
import { TempDirs } from './helpers';

const SECRET = 'c2VjcmV0LWtleS1kby1ub3QtbG9nLW1l==';

/** `fn` throws or rejects with a one-line StorageConfigError matching `expected` and containing none of `mustNotContain`. */
async function assertConfigError(fn: () => unknown, expected: RegExp, mustNotContain: string[] = []): Promise<void> {
  await assert.rejects(async () => fn(), (err: unknown) => {
    assert.ok(err instanceof StorageConfigError, `expected StorageConfigError, got ${String(err)}`);
    assert.equal(err.name, 'ConfigError');
    assert.equal(err.variable, 'STORAGE_URL');
    assert.match(err.message, /^STORAGE_URL: /);
    assert.match(err.message, expected);
    assert.ok(!err.message.includes('\n'), 'one line');
    for (const s of mustNotContain) assert.ok(!err.message.includes(s), `message must not contain ${s}`);
    return true;
  });
}

describe('STORAGE_URL', () => {
  const temp = new TempDirs();
  after(() => temp.cleanup());

  it('defaults to sqlite:./data/bot.db when unset or blank', () => {
    assert.equal(DEFAULT_STORAGE_URL, 'sqlite:./data/bot.db');
    for (const value of [undefined, '', '   ']) {
      assert.deepEqual(parseStorageUrl(value), { kind: 'sqlite', path: './data/bot.db' });
    }
  });

  it('parses sqlite paths, relative and absolute, and memory:', () => {
    assert.deepEqual(parseStorageUrl('sqlite:state/bot.db'), { kind: 'sqlite', path: 'state/bot.db' });
    assert.deepEqual(parseStorageUrl('sqlite:/var/lib/bot.db'), { kind: 'sqlite', path: '/var/lib/bot.db' });
    assert.deepEqual(parseStorageUrl('sqlite:///var/lib/bot.db'), { kind: 'sqlite', path: '/var/lib/bot.db' });
    assert.deepEqual(parseStorageUrl('SQLite:x.db'), { kind: 'sqlite', path: 'x.db' });
    assert.deepEqual(parseStorageUrl('memory:'), { kind: 'memory' });
  });

  it('opens a MemoryStorage for memory: and a SqliteStorage file for sqlite:', async () => {
    const memory = await openStorage('memory:');
    assert.ok(memory instanceof MemoryStorage);
    const file = path.join(temp.make(), 'sub', 'bot.db');
    const sqlite = await openStorage(`sqlite:${file}`);
    try {
      assert.ok(sqlite instanceof SqliteStorage);
      await sqlite.write({ k: { v: 1 } });
      assert.ok(fs.existsSync(file));
    } finally {
      await sqlite.close();
    }
  });

  it('parses blob: with an account URL (an Azure credential signs in) and ?container=', () => {
    assert.deepEqual(parseStorageUrl('blob:https://acct.blob.core.windows.net?container=botstate'), {
      kind: 'blob',
      auth: 'azureCredential',
      accountUrl: 'https://acct.blob.core.windows.net',
      container: 'botstate',
    });
    assert.deepEqual(parseStorageUrl(' BLOB:https://acct.blob.core.windows.net/?container=bot-state-2 '), {
      kind: 'blob',
      auth: 'azureCredential',
      accountUrl: 'https://acct.blob.core.windows.net',
      container: 'bot-state-2',
    });
    // A path-style account over plain http only on loopback (Azurite).
    assert.deepEqual(parseStorageUrl('blob:http://127.0.0.1:10000/devstoreaccount1/?container=abc'), {
      kind: 'blob',
      auth: 'azureCredential',
      accountUrl: 'http://127.0.0.1:10000/devstoreaccount1',
      container: 'abc',
    });
  });

  it('parses blob: with a connection string and ;Container= anywhere in it, in canonical spelling', () => {
    const account = `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${SECRET};EndpointSuffix=core.windows.net`;
    for (const value of [`blob:${account};Container=botstate`, `blob:container=botstate;${account};`]) {
      assert.deepEqual(parseStorageUrl(value), {
        kind: 'blob',
        auth: 'connectionString',
        connectionString: account,
        container: 'botstate',
      });
    }
    assert.deepEqual(parseStorageUrl('blob:CONTAINER=dev;usedevelopmentstorage=true'), {
      kind: 'blob',
      auth: 'connectionString',
      connectionString: 'UseDevelopmentStorage=true',
      container: 'dev',
    });
    // A SAS connection string: the signature's own '=' and '&' stay inside its value.
    const sas = `BlobEndpoint=https://acme.blob.core.windows.net;SharedAccessSignature=sv=2024-08-04&ss=b&sig=${SECRET}`;
    assert.deepEqual(parseStorageUrl(`blob:${sas};Container=botstate`), {
      kind: 'blob',
      auth: 'connectionString',
      connectionString: sas,
      container: 'botstate',
    });
  });

  it('refuses bad blob: values in one line that never echoes a key, a signature or the account', async () => {
    const key = `AccountKey=${SECRET}`;
    const account = `DefaultEndpointsProtocol=https;AccountName=acme;${key};EndpointSuffix=core.windows.net`;
    const cases: [string, RegExp][] = [
      ['blob:', /blob: needs an account URL or a connection string/],
      ['blob:just-some-text', /neither an account URL nor a connection string/],
      [`blob:${account}`, /needs ;Container=<name>/],
      [`blob:${account};Container=state;container=other`, /sets Container twice/],
      [`blob:${account};Container=Bad_Name`, /container name must be 3-63 lower-case/],
      [`blob:${account};Container=ab`, /container name must be 3-63/],
      [`blob:AccountName=acme;${key};Container=state`, /needs DefaultEndpointsProtocol=https/],
      [`blob:DefaultEndpointsProtocol=https;${key};EndpointSuffix=core.windows.net;Container=state`, /needs AccountName/],
      [`blob:DefaultEndpointsProtocol=https;AccountName=acme;${key};Container=state`, /needs EndpointSuffix/],
      [`blob:DefaultEndpointsProtocol=https;AccountName=acme;${SECRET};Container=state`, /has an unknown setting$/],
      [`blob:${account};Foo=bar;Container=state`, /unknown connection string setting "Foo"/],
      [`blob:${account};oops;Container=state`, /a part that is not Name=value/],
      [`blob:SharedAccessSignature=sv=2024&sig=${SECRET};Container=state`, /SharedAccessSignature needs BlobEndpoint/],
      [`blob:BlobEndpoint=ftp://acme;SharedAccessSignature=sig=${SECRET};Container=state`, /BlobEndpoint is not an http\(s\) URL/],
      ['blob:UseDevelopmentStorage=false;Container=state', /UseDevelopmentStorage can only be true/],
      ['blob:AccountName=acme;Container=state', /needs AccountName and AccountKey, SharedAccessSignature and BlobEndpoint/],
      [`blob:https://acme.blob.core.windows.net/state?sv=2024&sig=${SECRET}`, /takes no query parameter but \?container=/],
      [`blob:https://acme.blob.core.windows.net?container=state&sig=${SECRET}`, /takes no query parameter/],
      ['blob:https://acme.blob.core.windows.net', /needs one \?container=<name>/],
      ['blob:https://acme.blob.core.windows.net/botstate?container=botstate', /must not have a path/],
      ['blob:http://acme.blob.core.windows.net?container=state', /must use https/],
      [`blob:https://acme:${SECRET}@acme.blob.core.windows.net?container=state`, /must not carry a user name or password/],
      ['blob:https://acme.blob.core.windows.net?container=state#x', /must not have a #fragment/],
      ['blob:https://[oops?container=state', /account URL is not a valid URL/],
    ];
    for (const [value, expected] of cases) {
      await assertConfigError(() => parseStorageUrl(value), expected, [SECRET, 'sig=', 'AccountKey=', 'acme']);
      await assertConfigError(() => openStorage(value), expected, [SECRET, 'sig=', 'AccountKey=', 'acme']);
    }
  });

  it('rejects a value without a scheme without echoing it (it may be a bare connection string)', async () => {
    const bare = `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${SECRET}`;
    await assertConfigError(() => openStorage(bare), /has no scheme; expected sqlite:<path>, memory:/, [SECRET, 'acme']);
    await assertConfigError(() => openStorage('./data/bot.db'), /has no scheme/);
  });

  it('names an unknown scheme only when it looks like one', async () => {
    await assertConfigError(() => openStorage('redis://cache:6379'), /unsupported scheme "redis:"/);
    await assertConfigError(() => openStorage(`Account=${SECRET};x:y`), /is not a storage URL/, [SECRET]);
  });

  it('rejects sqlite: without a path and memory: with one', async () => {
    await assertConfigError(() => openStorage('sqlite:'), /sqlite: needs a file path/);
    await assertConfigError(() => openStorage('sqlite://'), /sqlite: needs a file path/);
    await assertConfigError(() => openStorage('memory:somewhere'), /memory: takes nothing/);
  });

  it('turns a SQLite file that cannot be opened into one STORAGE_URL line with the reason', async () => {
    const blocker = path.join(temp.make(), 'a-file');
    fs.writeFileSync(blocker, 'x');
    await assertConfigError(() => openStorage(`sqlite:${path.join(blocker, 'bot.db')}`), /cannot open SQLite database ".*bot.db": E[A-Z]+/);
  });
});
