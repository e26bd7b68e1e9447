// Ownership on Azure Blob Storage: one small blob per partition (`ownership/<n>`, in the bot's container; the name
// holds a '/', which BlobStorage never produces, so its listings do not see these blobs). Two things guard it:
// - a real blob lease: acquired on claim, renewed on every renewal, released on release; a claimer breaks the lease
//   of a record whose owner let it expire (or that it steals), so nobody waits for Azure's 15-60 s lease to run out;
// - the ownership record (owner and expiry, in the blob's metadata), written only under the lease and If-Match the
//   eTag the writer last saw, so two claimers racing for one partition cannot both win.
// Lease operations do not change a blob's eTag; metadata writes do. A claim therefore breaks/acquires If-Match the
// listed eTag and then writes the record under the new lease: whoever writes the record first wins, the other's
// write fails on the lease or the eTag.
import { randomUUID } from 'node:crypto';
import type { BlobClient, ContainerClient } from '@azure/storage-blob';
import { checkLeaseMs, type Ownership, type OwnershipStore, type OwnershipStoreOptions } from './ownership-store';

const PREFIX = 'ownership/';
/** The blob lease itself (Azure allows 15-60 s or infinite); the record's expiry is what instances go by. */
const BLOB_LEASE_SECONDS = 60;

export interface BlobOwnershipStoreOptions extends OwnershipStoreOptions {
  /** Deadline of one storage call (with the SDK's retries). Default 10000. */
  operationTimeoutMs?: number;
}

export class BlobOwnershipStore implements OwnershipStore {
  private readonly leaseMs: number;
  private readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(
    private readonly container: ContainerClient,
    options: BlobOwnershipStoreOptions,
  ) {
    this.leaseMs = checkLeaseMs(options.leaseMs);
    this.now = options.now ?? Date.now;
    this.timeoutMs = options.operationTimeoutMs ?? 10_000;
  }

  async list(): Promise<Ownership[]> {
    const records: Ownership[] = [];
    const pages = this.container.listBlobsFlat({ prefix: PREFIX, includeMetadata: true, abortSignal: this.deadline() }).byPage();
    for await (const page of pages) {
      for (const item of page.segment.blobItems) {
        const partition = partitionOfName(item.name);
        if (partition === undefined || !item.properties.etag) continue;
        records.push({ partition, eTag: quoted(item.properties.etag), leaseId: '', ...readRecord(item.metadata) });
      }
    }
    return records.sort((a, b) => a.partition - b.partition);
  }

  async claim(partition: number, ownerId: string, seen: Ownership | undefined): Promise<Ownership | undefined> {
    const blob = this.blob(partition);
    const eTag = seen ? seen.eTag : await this.createEmpty(blob);
    if (eTag === undefined) return undefined;
    const leaseId = randomUUID();
    const lease = blob.getBlobLeaseClient(leaseId);
    const conditions = { ifMatch: eTag };
    try {
      try {
        await lease.acquireLease(BLOB_LEASE_SECONDS, { conditions, abortSignal: this.deadline() });
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
        // Leased by the previous owner (expired record, or a steal): break it at once and take it.
        await blob.getBlobLeaseClient().breakLease(0, { conditions, abortSignal: this.deadline() });
        await lease.acquireLease(BLOB_LEASE_SECONDS, { conditions, abortSignal: this.deadline() });
      }
      return await this.writeRecord(blob, partition, ownerId, leaseId, eTag);
    } catch (err) {
      if (lostRace(err)) return undefined;
      throw err;
    }
  }

  async renew(held: Ownership): Promise<Ownership | undefined> {
    const blob = this.blob(held.partition);
    try {
      await blob.getBlobLeaseClient(held.leaseId).renewLease({ conditions: { ifMatch: held.eTag }, abortSignal: this.deadline() });
      return await this.writeRecord(blob, held.partition, held.ownerId, held.leaseId, held.eTag);
    } catch (err) {
      if (lostRace(err)) return undefined;
      throw err;
    }
  }

  async release(held: Ownership): Promise<void> {
    const blob = this.blob(held.partition);
    try {
      const released = await this.writeRecord(blob, held.partition, '', held.leaseId, held.eTag, 0);
      await blob.getBlobLeaseClient(held.leaseId).releaseLease({ conditions: { ifMatch: released.eTag }, abortSignal: this.deadline() });
    } catch (err) {
      if (!lostRace(err)) throw err;
    }
  }

  async close(): Promise<void> {}

  /** Writes the record under the lease, If-Match the eTag the writer holds. */
  private async writeRecord(
    blob: BlobClient,
    partition: number,
    ownerId: string,
    leaseId: string,
    eTag: string,
    expiresAt = this.now() + this.leaseMs,
  ): Promise<Ownership> {
    const response = await blob.setMetadata(
      { owner: ownerId, expiresat: String(expiresAt) },
      { conditions: { leaseId, ifMatch: eTag }, abortSignal: this.deadline() },
    );
    if (!response.etag) throw new Error('Azure Blob returned an ownership record without an ETag');
    return { partition, ownerId, expiresAt, leaseId, eTag: response.etag };
  }

  /** Creates the partition's blob; its eTag, or undefined when another claimer created it first. */
  private async createEmpty(blob: BlobClient): Promise<string | undefined> {
    try {
      const response = await blob.getBlockBlobClient().upload('', 0, {
        conditions: { ifNoneMatch: '*' },
        metadata: { owner: '', expiresat: '0' },
        abortSignal: this.deadline(),
      });
      return response.etag;
    } catch (err) {
      if (lostRace(err)) return undefined;
      throw err;
    }
  }

  private blob(partition: number): BlobClient {
    return this.container.getBlobClient(`${PREFIX}${String(partition).padStart(4, '0')}`);
  }

  private deadline(): AbortSignal {
    return AbortSignal.timeout(this.timeoutMs);
  }
}

function partitionOfName(name: string): number | undefined {
  const match = /^ownership\/(\d{4})$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** Listings give eTags bare, other responses quoted: one form, so eTags compare equal. */
function quoted(eTag: string): string {
  return eTag.startsWith('"') ? eTag : `"${eTag}"`;
}

function readRecord(metadata: Record<string, string> | undefined): { ownerId: string; expiresAt: number } {
  const expiresAt = Number(metadata?.expiresat ?? 0);
  return { ownerId: metadata?.owner ?? '', expiresAt: Number.isFinite(expiresAt) ? expiresAt : 0 };
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** 409 (a lease held or lost, the blob already exists) and 412 (the eTag moved on): someone else got there first. */
function lostRace(err: unknown): boolean {
  const status = statusOf(err);
  return status === 409 || status === 412;
}
