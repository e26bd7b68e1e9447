// Recognising eTag conflicts from any storage, and refusing items the store cannot trust.
import assert from 'node:assert/strict';
import type { StoreItems } from 'botbuilder';
import { ETagConflictError, isETagConflict, StoreDataError } from '../../src/store/errors';
import { InvitationRepository } from '../../src/store/invitation-repository';
import { storageKeys } from '../../src/store/keys';
import { MemoryStorage } from '../../src/store/memory-storage';
import type { ScanStorage } from '../../src/store/storage';

describe('store errors', () => {
  it('isETagConflict recognises our error, its code from another module copy, and HTTP 412', () => {
    assert.ok(isETagConflict(new ETagConflictError('k')));
    assert.ok(isETagConflict({ code: 'ETAG_CONFLICT' }));
    assert.ok(isETagConflict(Object.assign(new Error('Precondition Failed'), { statusCode: 412 })));
    for (const other of [new Error('eTag'), { statusCode: 409 }, null, undefined, 'ETAG_CONFLICT']) {
      assert.equal(isETagConflict(other), false, String(other));
    }
  });

  it('a stored item that is not an invitation record fails with StoreDataError naming the key', async () => {
    const storage = new MemoryStorage();
    const key = storageKeys.invitation('abc');
    await storage.write({ [key]: { something: 'else' } });
    await assert.rejects(new InvitationRepository(storage).get('abc'), (err: unknown) => {
      assert.ok(err instanceof StoreDataError);
      assert.equal(err.key, key);
      assert.match(err.message, /not a valid invitation record/);
      return true;
    });
  });

  it('refuses a storage that returns items without eTags (guarded writes would silently become blind)', async () => {
    const inner = new MemoryStorage();
    const noETags: ScanStorage = {
      read: async (keys) => {
        const items: StoreItems = await inner.read(keys);
        for (const item of Object.values(items)) delete item.eTag;
        return items;
      },
      write: (changes) => inner.write(changes),
      delete: (keys) => inner.delete(keys),
      keysWithPrefix: (prefix) => inner.keysWithPrefix(prefix),
    };
    const key = storageKeys.invitation('abc');
    await inner.write({ [key]: { id: 'abc' } });
    await assert.rejects(new InvitationRepository(noETags).apply('abc', { kind: 'click', verb: 'accept' }), /without an eTag/);
  });
});
