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

function assertConfigError(fn: () => unknown, expected: RegExp, mustNotContain: string[] = []): void {
  assert.throws(fn, (err: unknown) => {
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
    const memory = openStorage('memory:');
    assert.ok(memory instanceof MemoryStorage);
    const file = path.join(temp.make(), 'sub', 'bot.db');
    const sqlite = openStorage(`sqlite:${file}`);
    try {
      assert.ok(sqlite instanceof SqliteStorage);
      await sqlite.write({ k: { v: 1 } });
      assert.ok(fs.existsSync(file));
    } finally {
      await sqlite.close();
    }
  });

  it('says blob: is not available yet, without echoing the connection string', () => {
    const url = `blob:DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${SECRET};EndpointSuffix=core.windows.net`;
    assertConfigError(() => openStorage(url), /not available in this build yet/, [SECRET, 'AccountKey', 'acme']);
    assertConfigError(() => openStorage(`blob:https://acme.blob.core.windows.net/state?sv=2024&sig=${SECRET}`), /blob/, [
      SECRET,
      'sig=',
    ]);
  });

  it('rejects a value without a scheme without echoing it (it may be a bare connection string)', () => {
    const bare = `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${SECRET}`;
    assertConfigError(() => openStorage(bare), /has no scheme; expected sqlite:<path>, memory:/, [SECRET, 'acme']);
    assertConfigError(() => openStorage('./data/bot.db'), /has no scheme/);
  });

  it('names an unknown scheme only when it looks like one', () => {
    assertConfigError(() => openStorage('redis://cache:6379'), /unsupported scheme "redis:"/);
    assertConfigError(() => openStorage(`Account=${SECRET};x:y`), /is not a storage URL/, [SECRET]);
  });

  it('rejects sqlite: without a path and memory: with one', () => {
    assertConfigError(() => openStorage('sqlite:'), /sqlite: needs a file path/);
    assertConfigError(() => openStorage('sqlite://'), /sqlite: needs a file path/);
    assertConfigError(() => openStorage('memory:somewhere'), /memory: takes nothing/);
  });

  it('turns a SQLite file that cannot be opened into one STORAGE_URL line with the reason', () => {
    const blocker = path.join(temp.make(), 'a-file');
    fs.writeFileSync(blocker, 'x');
    assertConfigError(() => openStorage(`sqlite:${path.join(blocker, 'bot.db')}`), /cannot open SQLite database ".*bot.db": E[A-Z]+/);
  });
});
