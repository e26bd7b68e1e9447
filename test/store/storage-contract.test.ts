// The Storage contract every implementation must meet (botbuilder's eTag rules plus ours), run against each.
import assert from 'node:assert/strict';
import { ETagConflictError, isETagConflict } from '../../src/store/errors';
import type { ClosableStorage } from '../../src/store/storage';
import { storageFactories, TempDirs } from './helpers';

for (const factory of storageFactories) {
  describe(`Storage contract: ${factory.name}`, () => {
    const temp = new TempDirs();
    before(() => factory.setUp?.());
    let storage: ClosableStorage;

    beforeEach(() => {
      storage = factory.open(temp);
    });
    afterEach(async () => {
      await storage.close();
    });
    after(() => temp.cleanup());

    async function eTagOf(key: string): Promise<string> {
      const items = await storage.read([key]);
      assert.ok(items[key], `expected ${key} to exist`);
      return items[key].eTag as string;
    }

    async function rejectsWithConflict(promise: Promise<unknown>, key: string): Promise<void> {
      await assert.rejects(promise, (err: unknown) => {
        assert.ok(err instanceof ETagConflictError, `expected ETagConflictError, got ${String(err)}`);
        assert.ok(isETagConflict(err));
        assert.equal(err.key, key);
        assert.match(err.message, new RegExp(`"${key}"`));
        assert.deepEqual(err.written, [], 'a conflict found before writing leaves nothing of the write stored');
        return true;
      });
    }

    it('reads back only the keys that exist, each with an eTag', async () => {
      await storage.write({ a: { n: 1 }, b: { n: 2 } });
      const items = await storage.read(['a', 'missing', 'b']);
      assert.deepEqual(Object.keys(items).sort(), ['a', 'b']);
      assert.equal(items.a.n, 1);
      assert.equal(typeof items.a.eTag, 'string');
      assert.notEqual(items.a.eTag, '');
      assert.deepEqual(await storage.read([]), {});
    });

    it('gives an item a new eTag on every write', async () => {
      await storage.write({ k: { v: 1 } });
      const first = await eTagOf('k');
      await storage.write({ k: { v: 1 } });
      const second = await eTagOf('k');
      await storage.write({ k: { v: 2, eTag: second } });
      const third = await eTagOf('k');
      assert.equal(new Set([first, second, third]).size, 3);
    });

    it('writes when the given eTag matches the stored one', async () => {
      await storage.write({ k: { v: 1 } });
      const item = (await storage.read(['k'])).k;
      item.v = 2;
      await storage.write({ k: item });
      assert.equal((await storage.read(['k'])).k.v, 2);
    });

    it('refuses a stale eTag with ETagConflictError naming the key, and keeps the stored value', async () => {
      await storage.write({ 'sfb/x': { v: 1 } });
      const stale = await eTagOf('sfb/x');
      await storage.write({ 'sfb/x': { v: 2 } });
      await rejectsWithConflict(storage.write({ 'sfb/x': { v: 3, eTag: stale } }), 'sfb/x');
      assert.equal((await storage.read(['sfb/x']))['sfb/x'].v, 2);
    });

    it("overwrites unconditionally with eTag '*', an empty eTag, or none", async () => {
      await storage.write({ k: { v: 1 } });
      await storage.write({ k: { v: 2, eTag: '*' } });
      assert.equal((await storage.read(['k'])).k.v, 2);
      await storage.write({ k: { v: 3, eTag: '' } });
      assert.equal((await storage.read(['k'])).k.v, 3);
      await storage.write({ k: { v: 4 } });
      assert.equal((await storage.read(['k'])).k.v, 4);
      await storage.write({ fresh: { v: 1, eTag: '*' } });
      assert.equal((await storage.read(['fresh'])).fresh.v, 1);
    });

    it('refuses a specific eTag for a key that does not exist, and creates nothing', async () => {
      await rejectsWithConflict(storage.write({ ghost: { v: 1, eTag: 'some-etag' } }), 'ghost');
      assert.deepEqual(await storage.read(['ghost']), {});
    });

    it('a deleted key cannot be written with the eTag it had', async () => {
      await storage.write({ k: { v: 1 } });
      const eTag = await eTagOf('k');
      await storage.delete(['k']);
      await rejectsWithConflict(storage.write({ k: { v: 2, eTag } }), 'k');
    });

    // Atomic storages (a transaction) hold this against any concurrent writer. Azure Blob has no transactions: it
    // holds it because it checks every eTag before writing any item; a conflict that only surfaces while it writes
    // (another writer slipped in after the check) leaves the earlier items stored and lists them in the error,
    // which the BlobStorage tests show.
    const atomicity = factory.atomicWrites
      ? 'writes several items all or nothing: one conflicting item means none is written'
      : 'checks every eTag of a multi-item write before writing any: a stale one means none is written (no transaction)';
    it(atomicity, async () => {
      await storage.write({ a: { v: 1 }, b: { v: 1 } });
      const aTag = await eTagOf('a');
      const stale = await eTagOf('b');
      await storage.write({ b: { v: 2 } });
      await rejectsWithConflict(
        storage.write({ new1: { v: 9 }, a: { v: 9, eTag: aTag }, b: { v: 9, eTag: stale }, new2: { v: 9 } }),
        'b',
      );
      const items = await storage.read(['a', 'b', 'new1', 'new2']);
      assert.deepEqual(
        Object.fromEntries(Object.entries(items).map(([k, v]) => [k, v.v])),
        { a: 1, b: 2 },
      );
      // The untouched eTag still works afterwards: the failed write changed nothing.
      await storage.write({ a: { v: 3, eTag: aTag } });
    });

    it('rejects a value that is not a JSON object, naming the key, and writes nothing of the batch', async () => {
      for (const bad of [null, 42, 'text', [1, 2]]) {
        await assert.rejects(storage.write({ good: { v: 1 }, bad }), (err: Error) => {
          assert.ok(err instanceof TypeError);
          assert.match(err.message, /"bad"/);
          return true;
        });
      }
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      await assert.rejects(storage.write({ loop: circular }), /"loop" cannot be serialised/);
      assert.deepEqual(await storage.read(['good', 'bad', 'loop']), {});
    });

    it('deletes keys, ignoring ones that do not exist', async () => {
      await storage.write({ a: { v: 1 }, b: { v: 1 }, c: { v: 1 } });
      await storage.delete(['a', 'c', 'missing']);
      await storage.delete([]);
      assert.deepEqual(Object.keys(await storage.read(['a', 'b', 'c'])), ['b']);
    });

    it('lists keys by exact, case-sensitive prefix, in order, with no wildcard characters', async () => {
      const keys = ['p/b', 'p/a', 'p/%', 'p/_x', 'P/upper', 'q/a', 'p', 'p*/star', 'p[/x', 'p/ü'];
      await storage.write(Object.fromEntries(keys.map((k) => [k, { k }])));
      assert.deepEqual(await storage.keysWithPrefix('p/'), ['p/%', 'p/_x', 'p/a', 'p/b', 'p/ü']);
      assert.deepEqual(await storage.keysWithPrefix('p*'), ['p*/star']);
      assert.deepEqual(await storage.keysWithPrefix('p['), ['p[/x']);
      assert.deepEqual(await storage.keysWithPrefix('p/_'), ['p/_x']);
      assert.deepEqual(await storage.keysWithPrefix('none/'), []);
      assert.equal((await storage.keysWithPrefix('')).length, keys.length);
    });

    it('lists exactly the keys under a prefix, not ones sharing a shorter or longer stem', async () => {
      const keys = [
        'sfb/invitations/abc.1',
        'sfb/invitations/abc.2',
        'sfb/invitations/abcd.1',
        'sfb/invitations/ab.1',
        'sfb/invitations/abc',
        'sfb/invitations/abd.1',
        'sfb/invitations0',
      ];
      await storage.write(Object.fromEntries(keys.map((k) => [k, { k }])));
      assert.deepEqual(await storage.keysWithPrefix('sfb/invitations/abc.'), ['sfb/invitations/abc.1', 'sfb/invitations/abc.2']);
      assert.deepEqual(await storage.keysWithPrefix('sfb/invitations/abc'), [
        'sfb/invitations/abc',
        'sfb/invitations/abc.1',
        'sfb/invitations/abc.2',
        'sfb/invitations/abcd.1',
      ]);
      assert.deepEqual(await storage.keysWithPrefix('sfb/invitations/'), keys.slice(0, 6).sort());
    });

    it('lists by prefixes ending in the highest characters of each UTF-8 length and in half a surrogate pair', async () => {
      const keys = ['a\u007f', 'a\u007fz', 'a\u0080', 'a\ud7ffz', 'a\ue000', 'a\uffff', 'a\uffffz', 'a\u{10000}', 'a\u{10ffff}z', 'b', '😀a', '😁b'];
      await storage.write(Object.fromEntries(keys.map((k) => [k, { k }])));
      assert.deepEqual(await storage.keysWithPrefix('a\u007f'), ['a\u007f', 'a\u007fz']);
      assert.deepEqual(await storage.keysWithPrefix('a\ud7ff'), ['a\ud7ffz']);
      assert.deepEqual(await storage.keysWithPrefix('a\uffff'), ['a\uffff', 'a\uffffz']);
      assert.deepEqual(await storage.keysWithPrefix('a\u{10ffff}'), ['a\u{10ffff}z']);
      assert.deepEqual(await storage.keysWithPrefix('a\u{10000}'), ['a\u{10000}']);
      assert.deepEqual(await storage.keysWithPrefix('😀'.slice(0, 1)), ['😀a', '😁b']);
      assert.deepEqual(await storage.keysWithPrefix('😀'), ['😀a']);
      assert.equal((await storage.keysWithPrefix('a')).length, 9);
    });

    it('keeps stored state apart from the objects callers hold (copies in and out)', async () => {
      const input = { nested: { list: [1, 2] }, text: 'x' };
      await storage.write({ k: input });
      assert.equal((input as { eTag?: string }).eTag, undefined, 'write must not set eTag on the caller object');
      input.nested.list.push(3);
      const first = (await storage.read(['k'])).k;
      assert.deepEqual(first.nested.list, [1, 2]);
      first.nested.list.push(99);
      first.text = 'changed';
      const second = (await storage.read(['k'])).k;
      assert.deepEqual(second.nested.list, [1, 2]);
      assert.equal(second.text, 'x');
    });

    it('round-trips nested JSON and unicode exactly as JSON does', async () => {
      const value = { s: 'Zoë – 会議 🎉', n: 1.5, b: false, nil: null, arr: [{ a: 1 }], undef: undefined };
      await storage.write({ 'key with spaces/ü': value });
      const { eTag, ...back } = (await storage.read(['key with spaces/ü']))['key with spaces/ü'];
      assert.equal(typeof eTag, 'string');
      assert.deepEqual(back, JSON.parse(JSON.stringify(value)));
    });

    it('refuses to be used after close()', async () => {
      await storage.close();
      await assert.rejects(storage.read(['k']), /after close/);
      await assert.rejects(storage.write({ k: {} }), /after close/);
      await storage.close(); // idempotent
    });
  });
}
