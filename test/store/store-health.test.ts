// StoreHealth and HealthReportingStorage: a store that refuses writes is logged at error level at once, then at most
// once a minute while it lasts (with how many writes failed), and once at info level when writes work again.
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { ETagConflictError, HealthReportingStorage, MemoryStorage, StoreHealth, StoreUnavailableError } from '../../src/store';
import { RecordingLogger } from '../bot/helpers';

/** What better-sqlite3 throws for a read-only database file (its message can name nothing secret; others can). */
function readOnlyError(): Error {
  return Object.assign(new Error('attempt to write a readonly database at /var/secret/path/bot.db'), { name: 'SqliteError', code: 'SQLITE_READONLY' });
}

describe('StoreHealth: saying that the store refuses writes', () => {
  let clock: sinon.SinonFakeTimers;
  let log: RecordingLogger;
  let inner: MemoryStorage;
  let health: StoreHealth;
  let storage: HealthReportingStorage;
  let refuse: boolean;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.parse('2025-03-03T09:00:00Z'), toFake: ['Date'] });
    log = new RecordingLogger();
    inner = new MemoryStorage();
    refuse = false;
    const write = inner.write.bind(inner);
    inner.write = async (changes) => {
      if (refuse) throw readOnlyError();
      return write(changes);
    };
    health = new StoreHealth({ log });
    storage = new HealthReportingStorage(inner, health);
  });
  afterEach(() => clock.restore());

  const errors = () => log.entries.filter((e) => e.level === 'error');
  const attempt = () => storage.write({ 'sfb/x': { n: 1 } }).catch((err: unknown) => err);

  it('logs the first refused write at once, with its cause, and says so through `writable`', async () => {
    assert.equal(health.writable, true);
    refuse = true;
    const err = await attempt();
    assert.ok(err instanceof StoreUnavailableError, 'callers get a typed error');
    assert.doesNotMatch((err as Error).message, /secret|readonly database/, 'the message carries the code, not the text');
    assert.match((err as Error).message, /SQLITE_READONLY/);
    assert.equal(health.writable, false);
    assert.equal(errors().length, 1);
    assert.match(String((errors()[0].fields.error as Error).message), /readonly database/, 'the log keeps the cause for the operator');
  });

  it('repeated failures collapse into one error line per minute, counting the writes that failed', async () => {
    refuse = true;
    await attempt();
    for (let i = 0; i < 30; i++) {
      clock.tick(1_000);
      await attempt();
    }
    assert.equal(errors().length, 1, 'nothing more within the first minute');
    clock.tick(30_000);
    await attempt();
    assert.equal(errors().length, 2);
    assert.equal(errors()[1].fields.failedWrites, 31);
    assert.equal(errors()[1].fields.refusingSince, '2025-03-03T09:00:00.000Z');
    clock.tick(59_000);
    await attempt();
    assert.equal(errors().length, 2);
    clock.tick(1_000);
    await attempt();
    assert.equal(errors().length, 3);
  });

  it('the first write that works again logs one info line; the next outage is reported at once again', async () => {
    refuse = true;
    await attempt();
    clock.tick(90_000);
    await attempt();
    refuse = false;
    await attempt();
    await attempt();
    assert.equal(health.writable, true);
    const recovered = log.entries.filter((e) => e.level === 'info' && e.message.includes('accepts writes again'));
    assert.equal(recovered.length, 1);
    assert.equal(recovered[0].fields.failedWrites, 2);
    assert.equal(recovered[0].fields.refusedForSeconds, 90);
    refuse = true;
    clock.tick(1_000);
    await attempt();
    assert.equal(errors().length, 3, 'a new outage is not held back by the last report');
  });

  it('an eTag conflict proves the store works; a caller\'s bad value says nothing about the store', async () => {
    refuse = true;
    await attempt();
    refuse = false;
    await storage.write({ 'sfb/y': { n: 1 } });
    const current = (await storage.read(['sfb/y']))['sfb/y'];
    await storage.write({ 'sfb/y': { ...current, n: 2 } });
    await assert.rejects(storage.write({ 'sfb/y': { ...current, n: 3 } }), ETagConflictError);
    assert.equal(health.writable, true);
    await assert.rejects(storage.write({ 'sfb/z': 'not an object' as never }), TypeError);
    assert.equal(health.writable, true);
  });

  it('deletes are reported like writes', async () => {
    inner.delete = async () => {
      throw readOnlyError();
    };
    await assert.rejects(storage.delete(['sfb/x']), StoreUnavailableError);
    assert.equal(health.writable, false);
  });
});
