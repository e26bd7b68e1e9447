// Shared fixtures for the store tests: storages to run contracts against, temp files, a manual clock, and a
// storage wrapper that lets a test slip a competing write in between a repository's read and its write.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StoreItems } from 'botbuilder';
import { BlobStorage } from '../../src/store/blob-storage';
import { MemoryStorage } from '../../src/store/memory-storage';
import { SqliteStorage } from '../../src/store/sqlite-storage';
import type { ClosableStorage, ScanStorage } from '../../src/store/storage';
import type { InvitationUpsert } from '../../src/store/records';
import { type Azurite, sharedAzurite, uniqueContainerName } from './azurite';

/** Temp directories under os.tmpdir(), removed by cleanup(). */
export class TempDirs {
  private readonly dirs: string[] = [];

  make(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-test-'));
    this.dirs.push(dir);
    return dir;
  }

  dbPath(name = 'bot.db'): string {
    return path.join(this.make(), name);
  }

  cleanup(): void {
    for (const dir of this.dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface StorageFactory {
  name: string;
  /**
   * Whether a multi-item write is all or nothing even against a concurrent writer (a transaction). Azure Blob has
   * none: it checks every condition first, then writes item by item (see BlobStorage).
   */
  atomicWrites: boolean;
  /** Starts what the storage needs (Azurite); suites call it in `before`. */
  setUp?(): Promise<void>;
  open(temp: TempDirs): ClosableStorage;
}

let azurite: Azurite | undefined;

/** Every storage implementation; contract suites run once per entry. */
export const storageFactories: StorageFactory[] = [
  { name: 'MemoryStorage', atomicWrites: true, open: () => new MemoryStorage() },
  { name: 'SqliteStorage', atomicWrites: true, open: (temp) => new SqliteStorage(temp.dbPath()) },
  {
    name: 'BlobStorage (Azurite)',
    atomicWrites: false,
    setUp: async () => {
      azurite = await sharedAzurite();
    },
    // A fresh container per test (created on first use); a small listing page so scans page even in small tests.
    open: () => {
      if (!azurite) throw new Error('BlobStorage factory: setUp() has not run');
      return new BlobStorage(azurite.containerClient(uniqueContainerName()), { listPageSize: 3 });
    },
  },
];

/** A clock that only moves when told to. */
export class ManualClock {
  private ms: number;

  constructor(start = '2024-05-01T09:00:00.000Z') {
    this.ms = Date.parse(start);
  }

  readonly now = (): Date => new Date(this.ms);

  advance(ms: number): void {
    this.ms += ms;
  }
}

export const ACCOUNT = 'alice@contoso.com';
export const HREF = '/ucwa/oauth/v1/applications/101/communication/onlineMeetingInvitations/inv-1';

/** A `started` onlineMeeting invitation as the watcher would describe it. */
export function upsertInput(overrides: Partial<InvitationUpsert> = {}): InvitationUpsert {
  return {
    accountId: ACCOUNT,
    kind: 'onlineMeeting',
    subject: 'Quarterly review',
    importance: 'Normal',
    from: { name: 'Bob Smith', uri: 'sip:bob@contoso.com', sourceNetwork: 'SameEnterprise' },
    message: 'Please join',
    onlineMeetingUri: 'sip:bob@contoso.com;gruu;opaque=app:conf:focus:id:ABC',
    availableModalities: ['Messaging', 'Audio'],
    receivedAt: '2024-05-01T09:00:00.000Z',
    state: 'pending',
    actions: { accept: `${HREF}/accept`, decline: `${HREF}/decline` },
    invitationHref: HREF,
    ...overrides,
  };
}

/** Delegates to another storage; runs a one-shot hook just before the next write, to stage a race. */
export class HookedStorage implements ScanStorage {
  writes = 0;
  private hook: (() => Promise<void>) | undefined;

  constructor(readonly inner: ScanStorage) {}

  beforeNextWrite(hook: () => Promise<void>): void {
    this.hook = hook;
  }

  read(keys: string[]): Promise<StoreItems> {
    return this.inner.read(keys);
  }

  async write(changes: StoreItems): Promise<void> {
    const hook = this.hook;
    this.hook = undefined;
    if (hook) await hook();
    this.writes++;
    return this.inner.write(changes);
  }

  delete(keys: string[]): Promise<void> {
    return this.inner.delete(keys);
  }

  /** Where the inner storage has it; the hook runs before it as before a write (it is the completing change). */
  get deleteIfETag(): ((key: string, eTag: string) => Promise<boolean>) | undefined {
    const inner = this.inner.deleteIfETag?.bind(this.inner);
    if (!inner) return undefined;
    return async (key, eTag) => {
      const hook = this.hook;
      this.hook = undefined;
      if (hook) await hook();
      this.writes++;
      return inner(key, eTag);
    };
  }

  keysWithPrefix(prefix: string): Promise<string[]> {
    return this.inner.keysWithPrefix(prefix);
  }
}
