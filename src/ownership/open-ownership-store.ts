// Opens the ownership store beside the storage that STORAGE_URL names: the same SQLite file, the same Blob container,
// or memory. Errors are one StorageConfigError line, like openStorage's.
import type { TokenCredential } from '@azure/identity';
import type { StorageSharedKeyCredential } from '@azure/storage-blob';
import { parseStorageUrl, StorageConfigError } from '../store';
import { MemoryOwnershipStore } from './memory-ownership-store';
import type { OwnershipStore, OwnershipStoreOptions } from './ownership-store';
import { SqliteOwnershipStore } from './sqlite-ownership-store';

export interface OpenOwnershipStoreOptions extends OwnershipStoreOptions {
  /** The credential for `blob:<account URL>` (default: DefaultAzureCredential, as for the storage). */
  credential?: TokenCredential | StorageSharedKeyCredential;
}

export async function openOwnershipStore(url: string, options: OpenOwnershipStoreOptions): Promise<OwnershipStore> {
  const target = parseStorageUrl(url);
  if (target.kind === 'memory') return new MemoryOwnershipStore(options);
  if (target.kind === 'sqlite') {
    try {
      return new SqliteOwnershipStore(target.path, options);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new StorageConfigError(`cannot open the ownership table in SQLite database "${target.path}": ${reason}`, { cause: err });
    }
  }
  // Loaded on demand, as BlobStorage is: most single-instance deployments never need the Azure SDK.
  const { containerClientFor } = await import('../store/blob-storage');
  const { BlobOwnershipStore } = await import('./blob-ownership-store');
  let credential = options.credential;
  if (target.auth === 'azureCredential' && !credential) {
    const { DefaultAzureCredential } = await import('@azure/identity');
    credential = new DefaultAzureCredential();
  }
  return new BlobOwnershipStore(containerClientFor(target, credential), options);
}
