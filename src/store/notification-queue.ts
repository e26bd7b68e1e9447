// The queue of cards to post or update. One entry per invitation (its key), so any number of events for one
// invitation collapse into a single notification, and the drainer renders the record as it is when it gets there.
import { compareKeys, type ScanStorage } from './storage';
import { type Clock, DEFAULT_MAX_ATTEMPTS, type RepositoryOptions, systemClock } from './clock';
import { decodeNotification, guarded, type StoredNotification } from './codec';
import { isETagConflict } from './errors';
import { KEY_PREFIXES, storageKeys } from './keys';
import type { NotificationKind, PendingNotification } from './records';
import { retryOnConflict } from './conflict-retry';

/**
 * Folds an enqueue into what is stored for the invitation.
 * - A pending 'post' stays 'post' (the card was never posted; an 'update' cannot replace it); otherwise 'post'
 *   wins over 'update' too, and the drainer posts or updates by whether the record has a Teams activity id.
 * - createdAt is strictly later than the previous one (same millisecond -> +1 ms), so it names this version.
 * - queuedSince is kept while the notification stays pending, so a busy invitation keeps its place in the queue.
 */
export function collapseNotification(
  existing: StoredNotification | undefined,
  invitationId: string,
  kind: NotificationKind,
  now: Date,
): PendingNotification {
  const stillPending = existing && existing.completedAt === undefined ? existing : undefined;
  const previous = existing ? Date.parse(existing.createdAt) : Number.NEGATIVE_INFINITY;
  const createdAt = new Date(Math.max(now.getTime(), previous + 1)).toISOString();
  return {
    invitationId,
    kind: stillPending?.kind === 'post' ? 'post' : kind,
    createdAt,
    queuedSince: stillPending?.queuedSince ?? createdAt,
  };
}

/**
 * Says that cards were queued. One per storage, shared by every writer that queues (createRepositories makes it), so
 * whoever delivers the cards subscribes once and hears of every change.
 */
export class QueueSignal {
  private readonly listeners = new Set<() => void>();

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * Completing a notification deletes it only while it is still the version the drainer handled: on a storage with a
 * conditional delete (deleteIfETag: SQLite, memory) it is removed, so the queue holds only pending work and a
 * drain pass reads nothing else. An unconditional delete could drop a notification enqueued a moment earlier, so
 * on a storage without one (botbuilder's Storage has none) the entry becomes a tombstone (`completedAt`) through
 * an eTag-guarded write instead; the next enqueue overwrites it, and it is removed with the invitation record when
 * invitations are purged.
 */
export class NotificationQueue {
  private readonly clock: Clock;
  private readonly maxAttempts: number;

  constructor(
    private readonly storage: ScanStorage,
    options: RepositoryOptions = {},
    private readonly queued: QueueSignal = new QueueSignal(),
  ) {
    this.clock = options.clock ?? systemClock;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  /**
   * Calls `listener` whenever a write queued a card (an event batch, a move of an invitation). The one way the
   * notifier learns of work besides its timer. Returns an unsubscribe function.
   */
  onQueued(listener: () => void): () => void {
    return this.queued.subscribe(listener);
  }

  /**
   * Makes sure the invitation's card gets posted/updated; collapses with a notification already pending. Invitation
   * changes queue their cards themselves (InvitationRepository.apply, persistEventBatch); this is for tools and
   * tests that need a card drawn again without a change.
   */
  async enqueue(invitationId: string, kind: NotificationKind): Promise<PendingNotification> {
    const key = storageKeys.notification(invitationId);
    const queued = await retryOnConflict(`enqueue(${kind}) for ${key}`, this.maxAttempts, async () => {
      const current = decodeNotification(await this.storage.read([key]), key);
      const next = collapseNotification(current?.value, invitationId, kind, this.clock());
      await this.storage.write({ [key]: guarded(next, current?.eTag) });
      return next;
    });
    this.queued.notify();
    return queued;
  }

  /** The pending notification of one invitation, if any. */
  async get(invitationId: string): Promise<PendingNotification | undefined> {
    const key = storageKeys.notification(invitationId);
    const current = decodeNotification(await this.storage.read([key]), key);
    return current && current.value.completedAt === undefined ? toPending(current.value) : undefined;
  }

  /** Every pending notification, the longest-waiting first. */
  async pending(): Promise<PendingNotification[]> {
    const keys = await this.storage.keysWithPrefix(KEY_PREFIXES.notification);
    if (keys.length === 0) return [];
    const items = await this.storage.read(keys);
    const found: PendingNotification[] = [];
    for (const key of keys) {
      const entry = decodeNotification(items, key);
      if (entry && entry.value.completedAt === undefined) found.push(toPending(entry.value));
    }
    return found.sort(
      (a, b) =>
        compareKeys(a.queuedSince, b.queuedSince) ||
        compareKeys(a.createdAt, b.createdAt) ||
        compareKeys(a.invitationId, b.invitationId),
    );
  }

  /**
   * Marks the notification the drainer handled (the one with `expectedCreatedAt`) as done. Returns false, and
   * leaves the entry pending, if a newer enqueue arrived meanwhile (the card must be rendered again); also false
   * when there is nothing pending.
   */
  async complete(invitationId: string, expectedCreatedAt: string): Promise<boolean> {
    const key = storageKeys.notification(invitationId);
    const current = decodeNotification(await this.storage.read([key]), key);
    if (!current || current.value.completedAt !== undefined || current.value.createdAt !== expectedCreatedAt) {
      return false;
    }
    // A writer that read the entry before it went writes back under the old eTag, fails, and re-reads: no loss.
    if (this.storage.deleteIfETag) return this.storage.deleteIfETag(key, current.eTag);
    const done: StoredNotification = { ...current.value, completedAt: this.clock().toISOString() };
    try {
      await this.storage.write({ [key]: guarded(done, current.eTag) });
      return true;
    } catch (err) {
      // Lost to a concurrent enqueue: that newer notification must stay pending, which it does.
      if (isETagConflict(err)) return false;
      throw err;
    }
  }
}

function toPending(n: StoredNotification): PendingNotification {
  return { invitationId: n.invitationId, kind: n.kind, createdAt: n.createdAt, queuedSince: n.queuedSince };
}
