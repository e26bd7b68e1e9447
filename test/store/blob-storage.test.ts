// BlobStorage against Azurite: what the shared contract suites (storage-contract, the repositories) do not show.
// Key encoding, the honest multi-item write (checked first, then item by item), a retried write recognised as its
// own, paging, two bot instances racing on one record and one notification, STORAGE_URL opening for real, and
// why botbuilder-azure-blobs' BlobsStorage is not what sits underneath. Azurite runs as a child process (see
// ./azurite); mocha's root `after` hook stops it.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { BlobsStorage } from 'botbuilder-azure-blobs';
import sinon from 'sinon';
import {
  BlobStorage,
  blobNameForKey,
  blobPipelineOptions,
  keyForBlobName,
  MAX_BLOB_NAME_LENGTH,
} from '../../src/store/blob-storage';
import { ETagConflictError, isETagConflict, PartialWriteError, StorageConfigError, StoreDataError } from '../../src/store/errors';
import { persistEventBatch } from '../../src/store/event-batch';
import { InvitationRepository, type ApplyResult } from '../../src/store/invitation-repository';
import { storageKeys } from '../../src/store/keys';
import { NotificationQueue } from '../../src/store/notification-queue';
import type { ClosableStorage } from '../../src/store/storage';
import { openStorage } from '../../src/store/storage-url';
import { type Azurite, AZURITE_ACCOUNT, AZURITE_KEY, sharedAzurite, TEST_RETRY, uniqueContainerName } from './azurite';
import { HookedStorage, HREF, upsertInput } from './helpers';

describe('BlobStorage key encoding', () => {
  const keys = [
    'sfb/invitations/3f2a9c.4e1b',
    'msteams/conversations/a:1XyZ-_~%20@thread.v2',
    'a//b',
    'a/b',
    'x/',
    'x',
    '/x',
    '.',
    '..',
    'key with spaces/ü',
    'Zoë – 会議 🎉',
    'p*/star?q=1#h',
    'back\\slash',
  ];

  it('gives every key one blob name of [A-Za-z0-9_-] and ~XX escapes, and decodes it back', () => {
    const names = keys.map(blobNameForKey);
    assert.equal(new Set(names).size, keys.length, 'no two keys share a blob');
    for (const [i, name] of names.entries()) {
      assert.match(name, /^(?:[A-Za-z0-9_-]|~[0-9A-F]{2})+$/);
      assert.equal(keyForBlobName(name), keys[i]);
    }
    assert.equal(blobNameForKey('sfb/a.b'), 'sfb~2Fa~2Eb');
    assert.equal(blobNameForKey('~'), '~7E');
  });

  it('keeps prefixes: the name of a prefix is a prefix of the name of every key starting with it', () => {
    for (const key of keys) {
      for (let end = 1; end <= key.length; end++) {
        const prefix = key.slice(0, end);
        if (/[\uD800-\uDBFF]$/.test(prefix)) continue; // half a surrogate pair has no name of its own
        assert.ok(blobNameForKey(key).startsWith(blobNameForKey(prefix)), `${key} / ${prefix}`);
      }
    }
  });

  it('refuses keys no blob can be named after, and ignores names it never produces', () => {
    assert.throws(() => blobNameForKey(''), /empty key/);
    assert.throws(() => blobNameForKey('bad\uD800'), /lone surrogate/);
    assert.throws(() => blobNameForKey('ü'.repeat(MAX_BLOB_NAME_LENGTH)), /too long for Azure Blob/);
    assert.ok(blobNameForKey('k'.repeat(MAX_BLOB_NAME_LENGTH)));
    for (const foreign of ['readme.txt', 'a/b', '~2f', '~2', '~FF', '~41', '']) {
      assert.equal(keyForBlobName(foreign), undefined, foreign);
    }
  });
});

describe('BlobStorage on Azurite', () => {
  let azurite: Azurite;
  const opened: ClosableStorage[] = [];

  before(async () => {
    azurite = await sharedAzurite();
  });
  afterEach(async () => {
    sinon.restore();
    for (const s of opened.splice(0)) await s.close();
  });

  function storageOn(client: ContainerClient, options: ConstructorParameters<typeof BlobStorage>[1] = {}): BlobStorage {
    const storage = new BlobStorage(client, options);
    opened.push(storage);
    return storage;
  }

  async function blobNames(client: ContainerClient): Promise<string[]> {
    const names: string[] = [];
    for await (const item of client.listBlobsFlat()) names.push(item.name);
    return names;
  }

  async function eTagOf(storage: ClosableStorage, key: string): Promise<string> {
    const item = (await storage.read([key]))[key];
    assert.ok(item, `expected ${key} to exist`);
    return item.eTag as string;
  }

  /**
   * Runs `before` just before the storage's next upload of the blob of `key`, once (the seam is the SDK client the
   * storage was given).
   */
  function beforeUploadOf(client: ContainerClient, key: string, before: () => Promise<void>): void {
    const target = blobNameForKey(key);
    const getClient = client.getBlockBlobClient.bind(client);
    let pending = true;
    sinon.stub(client, 'getBlockBlobClient').callsFake((name: string): BlockBlobClient => {
      const blob = getClient(name);
      if (name === target && pending) {
        const upload = blob.upload.bind(blob);
        sinon.stub(blob, 'upload').callsFake(async (...args: Parameters<BlockBlobClient['upload']>) => {
          if (pending) {
            pending = false;
            await before();
          }
          return upload(...args);
        });
      }
      return blob;
    });
  }

  it('creates its container when missing: on first use, or up front with BlobStorage.open', async () => {
    const lazy = azurite.containerClient(uniqueContainerName('lazy'));
    const storage = storageOn(lazy);
    assert.equal(await lazy.exists(), false);
    assert.deepEqual(await storage.read(['k']), {});
    assert.equal(await lazy.exists(), true);

    const eager = azurite.containerClient(uniqueContainerName('eager'));
    opened.push(await BlobStorage.open(eager));
    assert.equal(await eager.exists(), true);
    // An existing container is simply used.
    const again = await BlobStorage.open(azurite.containerClient(eager.containerName));
    opened.push(again);
    assert.deepEqual(await again.keysWithPrefix(''), []);
  });

  it('stores one JSON blob per key under its encoded name and ignores foreign blobs when listing', async () => {
    const client = azurite.containerClient(uniqueContainerName());
    const storage = storageOn(client);
    await storage.write({ 'sfb/a.b': { v: 1 }, 'a//b': { v: 2 }, 'a/b': { v: 3 }, 'x/': { v: 4 }, x: { v: 5 } });
    await client.getBlockBlobClient('readme.txt').upload('hello', 5);
    assert.deepEqual((await blobNames(client)).sort(), ['a~2Fb', 'a~2F~2Fb', 'readme.txt', 'sfb~2Fa~2Eb', 'x', 'x~2F']);
    assert.deepEqual(await storage.keysWithPrefix(''), ['a//b', 'a/b', 'sfb/a.b', 'x', 'x/']);
    const items = await storage.read(['a//b', 'a/b', 'x/', 'x']);
    assert.deepEqual([items['a//b'].v, items['a/b'].v, items['x/'].v, items.x.v], [2, 3, 4, 5]);
    const props = await client.getBlobClient('sfb~2Fa~2Eb').getProperties();
    assert.equal(props.contentType, 'application/json; charset=utf-8');
  });

  it('lists by a prefix that ends half-way through a surrogate pair', async () => {
    const storage = storageOn(azurite.containerClient(uniqueContainerName()));
    await storage.write({ '😀a': {}, '😁b': {}, x: {} });
    assert.deepEqual(await storage.keysWithPrefix('😀'.slice(0, 1)), ['😀a', '😁b']);
    assert.deepEqual(await storage.keysWithPrefix('😀'), ['😀a']);
    assert.deepEqual(await storage.keysWithPrefix('\uDE00'), []);
  });

  it('pages through listings longer than one page', async () => {
    const client = azurite.containerClient(uniqueContainerName());
    const storage = storageOn(client, { listPageSize: 50 });
    const keys = Array.from({ length: 260 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
    // Ten writers at once, 26 items each, to fill the container quickly.
    await Promise.all(
      Array.from({ length: 10 }, (_, w) =>
        storage.write(Object.fromEntries(keys.slice(w * 26, w * 26 + 26).map((k) => [k, { k }]))),
      ),
    );
    await storage.write({ 'other/1': {}, 'manx/1': {} });
    const list = sinon.spy(client, 'listBlobsFlat');
    assert.deepEqual(await storage.keysWithPrefix('many/'), keys);
    assert.equal(list.callCount, 6, 'one listing call per page of 50');
    assert.equal((await storage.keysWithPrefix('')).length, 262);
    assert.throws(() => new BlobStorage(client, { listPageSize: 5001 }), /listPageSize must be an integer from 1 to 5000/);
  });

  it('a multi-item write whose conflict surfaces mid-way (after the up-front check) names what it stored', async () => {
    const client = azurite.containerClient(uniqueContainerName());
    const storage = storageOn(client);
    const other = storageOn(azurite.containerClient(client.containerName)); // a second bot instance
    await storage.write({ a: { v: 1 }, b: { v: 1 } });
    const aTag = await eTagOf(storage, 'a');
    const bTag = await eTagOf(storage, 'b');
    // The other instance writes b after the eTag check passed and before b is uploaded.
    beforeUploadOf(client, 'b', () => other.write({ b: { v: 'other' } }));

    await assert.rejects(
      storage.write({ first: { v: 9 }, a: { v: 9, eTag: aTag }, b: { v: 9, eTag: bTag }, last: { v: 9 } }),
      (err: unknown) => {
        assert.ok(err instanceof ETagConflictError);
        assert.ok(isETagConflict(err));
        assert.equal(err.key, 'b');
        assert.deepEqual(err.written, ['first', 'a']);
        assert.match(err.message, /not atomic: 2 earlier item\(s\) of this write were stored: "first", "a"/);
        return true;
      },
    );
    const items = await storage.read(['first', 'a', 'b', 'last']);
    assert.deepEqual(
      Object.fromEntries(Object.entries(items).map(([k, v]) => [k, v.v])),
      { first: 9, a: 9, b: 'other' },
    );
  });

  it('a multi-item write that fails mid-way for another reason throws PartialWriteError listing what it stored', async () => {
    const client = azurite.containerClient(uniqueContainerName());
    const storage = storageOn(client);
    const outage = Object.assign(new Error('multi\nline service message'), { statusCode: 500, code: 'InternalError' });
    beforeUploadOf(client, 'b', () => Promise.reject(outage));
    await assert.rejects(storage.write({ a: { v: 1 }, b: { v: 1 }, c: { v: 1 } }), (err: unknown) => {
      assert.ok(err instanceof PartialWriteError);
      assert.equal(err.key, 'b');
      assert.deepEqual(err.written, ['a']);
      assert.equal(err.cause, outage);
      assert.equal(err.message, 'Storage: writing "b" failed (500 InternalError); not atomic: 1 earlier item(s) of this write were stored: "a"');
      return true;
    });
    assert.deepEqual(Object.keys(await storage.read(['a', 'b', 'c'])), ['a']);
    // The same failure on the first item is passed through unchanged: nothing was stored.
    sinon.restore();
    beforeUploadOf(client, 'b', () => Promise.reject(outage));
    await assert.rejects(storage.write({ b: { v: 2 } }), (err: unknown) => err === outage);
  });

  it('an event batch that loses a race mid-way is retried whole and ends consistent: the click kept, the card queued', async () => {
    const client = azurite.containerClient(uniqueContainerName('batch'));
    const watcherStorage = storageOn(client);
    const clickStorage = storageOn(azurite.containerClient(client.containerName)); // the instance taking the click
    const queue = new NotificationQueue(watcherStorage);
    const [first] = await persistEventBatch(watcherStorage, { invitations: [upsertInput()] });
    assert.ok(first.notification && (await queue.complete(first.record.id, first.notification.createdAt)));

    // The click lands after the batch's eTag check, between its notification and its record upload.
    let click: ApplyResult | undefined;
    beforeUploadOf(client, storageKeys.invitation(first.record.id), async () => {
      click = await new InvitationRepository(clickStorage).apply(first.record.id, { kind: 'click', verb: 'accept' });
    });
    const write = sinon.spy(watcherStorage, 'write');
    const [result] = await persistEventBatch(watcherStorage, { invitations: [upsertInput({ subject: 'Moved to 3pm' })] });

    assert.ok(click?.ok, 'the click won its race');
    assert.equal(write.callCount, 2, 'the first write stopped part-way and the batch was re-read and re-merged');
    const [failure] = await Promise.allSettled([write.firstCall.returnValue]);
    assert.ok(failure.status === 'rejected' && failure.reason instanceof ETagConflictError);
    assert.deepEqual((failure.reason as ETagConflictError).written, [storageKeys.notification(first.record.id)]);
    const stored = await new InvitationRepository(clickStorage).get(first.record.id);
    assert.equal(stored?.state, 'accepting');
    assert.equal(stored?.subject, 'Moved to 3pm');
    assert.deepEqual(result.record, stored);
    assert.deepEqual((await queue.pending()).map((n) => n.invitationId), [first.record.id]);
  });

  it('an event batch racing the drainer mid-way still leaves the changed card queued (notifications go first)', async () => {
    const client = azurite.containerClient(uniqueContainerName('batch'));
    const watcherStorage = storageOn(client);
    const drainer = new NotificationQueue(storageOn(azurite.containerClient(client.containerName)));
    const [first] = await persistEventBatch(watcherStorage, { invitations: [upsertInput()] });
    const handled = first.notification!;

    // The drainer finishes the card it rendered from the old record just before the batch uploads the notification.
    beforeUploadOf(client, storageKeys.notification(first.record.id), async () => {
      assert.ok(await drainer.complete(first.record.id, handled.createdAt));
    });
    await persistEventBatch(watcherStorage, { invitations: [upsertInput({ subject: 'Moved to 3pm' })] });

    // Had the record been written first, the retry would find it already merged, unchanged, and queue nothing:
    // the card would keep showing the old subject.
    assert.equal((await new InvitationRepository(watcherStorage).get(first.record.id))?.subject, 'Moved to 3pm');
    assert.deepEqual((await drainer.pending()).map((n) => n.invitationId), [first.record.id]);
  });

  it("recognises its own write when the SDK retries it after the first response was lost (If-Match meets our version)", async () => {
    const target = new URL(azurite.blobEndpoint);
    const blob = blobNameForKey('k');
    let conditionalPuts = 0;
    // A proxy that forwards everything to Azurite, but cuts the connection instead of returning the response of
    // the first conditional upload of k: the write lands, the client never hears so and retries.
    const proxy = http.createServer((req, res) => {
      const drop = req.method === 'PUT' && req.url!.includes(`/${blob}?`) && req.headers['if-match'] !== undefined && ++conditionalPuts === 1;
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (response) => {
          if (drop) {
            response.resume();
            response.on('end', () => req.socket.destroy());
            return;
          }
          res.writeHead(response.statusCode!, response.headers);
          response.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = proxy.address() as AddressInfo;
      const url = `blob:http://127.0.0.1:${port}/${AZURITE_ACCOUNT}?container=${uniqueContainerName('retry')}`;
      const storage = await openStorage(url, { credential: azurite.credential(), blob: { retry: TEST_RETRY } });
      opened.push(storage);
      await storage.write({ k: { v: 1 } });
      const eTag = await eTagOf(storage, 'k');
      await storage.write({ k: { v: 2, eTag } });
      assert.equal(conditionalPuts, 2, 'the SDK sent the conditional upload twice');
      assert.equal((await storage.read(['k'])).k.v, 2);
      // And a real conflict is still one.
      await assert.rejects(storage.write({ k: { v: 3, eTag } }), ETagConflictError);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('two bot instances clicking one invitation at once: exactly one click wins, every time', async () => {
    const container = uniqueContainerName('clicks');
    const instances = [storageOn(azurite.containerClient(container)), storageOn(azurite.containerClient(container))];
    const repos = instances.map((s) => new InvitationRepository(s));
    for (let round = 0; round < 15; round++) {
      const { record } = await repos[0].upsertFromEvent(upsertInput({ invitationHref: `${HREF}/click-${round}` }));
      // Six clicks (accept and decline, double clicks), three per instance, all in flight together.
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => repos[i % 2].apply(record.id, { kind: 'click', verb: i % 3 ? 'accept' : 'decline' })),
      );
      const winners = results.filter((r) => r.ok);
      assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners`);
      for (const loser of results.filter((r) => !r.ok)) {
        assert.ok(!loser.ok && loser.reason === 'refused', `round ${round}: loser ${!loser.ok && loser.reason}`);
      }
      assert.equal((await repos[1].get(record.id))?.state, winners[0].record?.state);
    }
  });

  it('the drainer completing a notification on one instance never drops an enqueue from the other', async () => {
    const container = uniqueContainerName('queue');
    const drainerStorage = new HookedStorage(storageOn(azurite.containerClient(container)));
    const drainer = new NotificationQueue(drainerStorage);
    const watcher = new NotificationQueue(storageOn(azurite.containerClient(container)));

    // Staged: the watcher's enqueue lands between the drainer's read and its write.
    const handled = await drainer.enqueue('inv-1', 'post');
    let newer: unknown;
    drainerStorage.beforeNextWrite(async () => {
      newer = await watcher.enqueue('inv-1', 'update');
    });
    assert.equal(await drainer.complete('inv-1', handled.createdAt), false);
    assert.deepEqual(await watcher.pending(), [newer]);

    // Free-running: complete and enqueue in flight together, whichever lands first.
    for (let round = 0; round < 15; round++) {
      const id = `inv-${round + 2}`;
      const posted = await drainer.enqueue(id, 'post');
      const [, enqueued] = await Promise.all([drainer.complete(id, posted.createdAt), watcher.enqueue(id, 'update')]);
      assert.deepEqual(await drainer.get(id), enqueued, `round ${round}: the concurrent enqueue must stay pending`);
    }
  });

  it('reports a blob that is not a JSON object as StoreDataError naming the key', async () => {
    const client = azurite.containerClient(uniqueContainerName());
    const storage = storageOn(client);
    await storage.write({ ok: {} });
    await client.getBlockBlobClient(blobNameForKey('sfb/broken')).upload('{not json', 9);
    await client.getBlockBlobClient(blobNameForKey('sfb/list')).upload('[1]', 3);
    await assert.rejects(storage.read(['sfb/broken']), (err: unknown) => {
      assert.ok(err instanceof StoreDataError);
      assert.match(err.message, /"sfb\/broken" is unreadable: the blob is not JSON/);
      return true;
    });
    await assert.rejects(storage.read(['sfb/list']), /"sfb\/list" is unreadable: the blob is not a JSON object/);
  });

  it('refuses to write keys no blob can be named after, before writing anything; reads them as absent', async () => {
    const storage = storageOn(azurite.containerClient(uniqueContainerName()));
    await assert.rejects(storage.write({ fine: {}, '': {} }), (err: unknown) => err instanceof TypeError && /empty key/.test(err.message));
    assert.deepEqual(await storage.keysWithPrefix(''), []);
    assert.deepEqual(await storage.read(['', 'lone\uD800']), {});
    await storage.delete(['', 'lone\uD800']);
  });

  it('close() aborts requests in flight and operations that began before it; later calls fail', async () => {
    // A server that accepts requests and never answers them: the request is in flight until aborted.
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const stalled = http.createServer(() => arrived());
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = stalled.address() as AddressInfo;
      const url = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}/stalled`;
      const stuck = storageOn(new ContainerClient(url, azurite.credential(), blobPipelineOptions(TEST_RETRY)));
      const inFlight = stuck.read(['k']);
      await arrival;
      await stuck.close();
      await assert.rejects(inFlight, (err: Error) => err.name === 'AbortError');

      // The per-call deadline aborts the same way, without close().
      const slow = storageOn(new ContainerClient(url, azurite.credential(), blobPipelineOptions(TEST_RETRY)), {
        operationTimeoutMs: 50,
      });
      await assert.rejects(slow.keysWithPrefix(''), (err: Error) => err.name === 'AbortError');
    } finally {
      stalled.closeAllConnections();
      await new Promise((resolve) => stalled.close(resolve));
    }

    const storage = storageOn(azurite.containerClient(uniqueContainerName()));
    await storage.write({ k: { v: 1 } });
    const started = storage.read(['k']); // runs until its first await, then close() comes first
    await storage.close();
    await assert.rejects(started, (err: Error) => err.name === 'AbortError');
    await assert.rejects(storage.keysWithPrefix(''), /BlobStorage\(c-\d+\): used after close\(\)/);
  });

  it('never shows its credential when printed or serialised', async () => {
    const storage = storageOn(azurite.containerClient(uniqueContainerName('shown')));
    const { inspect } = await import('node:util');
    for (const text of [inspect(storage, { depth: 10 }), JSON.stringify({ storage }), String(storage)]) {
      assert.ok(!text.includes(AZURITE_KEY), text);
    }
    assert.equal(inspect(storage), `BlobStorage(${storage.containerName})`);
  });

  describe('opened through STORAGE_URL', () => {
    it('blob:<connection string>;Container=<name> opens (and creates) the container', async () => {
      const container = uniqueContainerName('viaconn');
      const storage = await openStorage(`blob:${azurite.connectionString()};Container=${container}`);
      opened.push(storage);
      assert.ok(storage instanceof BlobStorage);
      await storage.write({ k: { v: 1 } });
      assert.equal(await azurite.containerClient(container).getBlobClient('k').exists(), true);
    });

    it('blob:<account URL>?container=<name> opens with the given credential (DefaultAzureCredential by default)', async () => {
      const container = uniqueContainerName('viaurl');
      const storage = await openStorage(`blob:${azurite.blobEndpoint}?container=${container}`, {
        credential: azurite.credential(),
      });
      opened.push(storage);
      await storage.write({ k: { v: 1 } });
      assert.deepEqual(await storage.keysWithPrefix(''), ['k']);
    });

    it('a rejected key or an unreachable endpoint stops start-up with one line and no secret', async () => {
      const wrongKey = Buffer.from('not-the-account-key-at-all-000000').toString('base64');
      await assert.rejects(openStorage(`blob:${azurite.connectionString(wrongKey)};Container=denied`), (err: unknown) => {
        assert.ok(err instanceof StorageConfigError);
        assert.equal(err.message, 'STORAGE_URL: cannot open Azure Blob container "denied": 403 AuthorizationFailure (check the credential and its role on the storage account, e.g. Storage Blob Data Contributor)');
        return true;
      });
      // Nothing listens on port 9 of loopback (discard); the SDK's retries end in a connection error.
      const closed = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:9/${AZURITE_ACCOUNT}`;
      await assert.rejects(openStorage(`blob:${closed};Container=nowhere`, { blob: { retry: TEST_RETRY } }), (err: unknown) => {
        assert.ok(err instanceof StorageConfigError);
        assert.equal(err.message, 'STORAGE_URL: cannot open Azure Blob container "nowhere": ECONNREFUSED');
        assert.ok(!err.message.includes(AZURITE_KEY));
        return true;
      });
    });
  });

  describe("botbuilder-azure-blobs' BlobsStorage, as found on Azurite (why BlobStorage does not wrap it)", () => {
    it('aliases keys, refuses a specific eTag on a new key only as an unrecognisable Error, and cannot list', async () => {
      const blobs = new BlobsStorage(azurite.connectionString(), uniqueContainerName('bbs'));
      await blobs.write({ 'a//b': { which: 'a//b' } });
      await blobs.write({ 'a/b': { which: 'a/b' } });
      assert.equal((await blobs.read(['a//b']))['a//b'].which, 'a/b', '"a//b" and "a/b" are one blob');
      await blobs.write({ x: { which: 'x' } });
      assert.equal((await blobs.read(['x/']))['x/']?.which, 'x', '"x/" and "x" are one blob');

      // A specific eTag on a key that does not exist is refused (If-Match on a missing blob is 412 on Azurite) ...
      await assert.rejects(blobs.write({ ghost: { v: 1, eTag: '"0x8D000000000000"' } }), (err: Error) => {
        // ... but as a plain Error without code or status, which conflict handling cannot tell from a failure.
        assert.equal(err.message, 'Storage: error writing "ghost" due to eTag conflict.');
        assert.equal(isETagConflict(err), false);
        return true;
      });
      assert.deepEqual(await blobs.read(['ghost']), {});
      assert.equal('keysWithPrefix' in blobs, false);
    });
  });
});
