// The three ownership stores, each opened twice over one shared place (two instances of the bot), with one clock.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobOwnershipStore } from '../../src/ownership/blob-ownership-store';
import { MemoryOwnershipStore } from '../../src/ownership/memory-ownership-store';
import type { OwnershipStore } from '../../src/ownership/ownership-store';
import { SqliteOwnershipStore } from '../../src/ownership/sqlite-ownership-store';
import { sharedAzurite, uniqueContainerName } from '../store/azurite';

export interface StorePair {
  /** Two handles on one shared store, as two bot processes would have. */
  a: OwnershipStore;
  b: OwnershipStore;
  close(): Promise<void>;
}

export interface OwnershipStoreFactory {
  name: string;
  open(leaseMs: number, now: () => number): Promise<StorePair>;
}

export const ownershipStoreFactories: OwnershipStoreFactory[] = [
  {
    name: 'memory',
    async open(leaseMs, now) {
      // Memory is never shared between processes: both handles are the same store.
      const store = new MemoryOwnershipStore({ leaseMs, now });
      return { a: store, b: store, close: () => store.close() };
    },
  },
  {
    name: 'SQLite',
    async open(leaseMs, now) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ownership-'));
      const file = path.join(dir, 'bot.db');
      const a = new SqliteOwnershipStore(file, { leaseMs, now });
      const b = new SqliteOwnershipStore(file, { leaseMs, now });
      return {
        a,
        b,
        async close() {
          await a.close();
          await b.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'Azure Blob (Azurite)',
    async open(leaseMs, now) {
      const azurite = await sharedAzurite();
      const name = uniqueContainerName('own');
      await azurite.containerClient(name).create();
      const a = new BlobOwnershipStore(azurite.containerClient(name), { leaseMs, now });
      const b = new BlobOwnershipStore(azurite.containerClient(name), { leaseMs, now });
      return { a, b, close: async () => undefined };
    },
  },
];
