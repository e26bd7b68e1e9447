// Persisting one UCWA event batch: every invitation it touches, their card notifications and the account's next
// events URL, in ONE storage write (one SQLite transaction; on Azure Blob an ordered, non-atomic write, see the
// order below). The watcher calls this before it asks for the next batch (which acknowledges this one), so a
// crash re-delivers the batch rather than losing it.
import type { ScanStorage } from './storage';
import type { StoreItems } from 'botbuilder';
import { toStoredSession } from './account-session-repository';
import { type Clock, DEFAULT_MAX_ATTEMPTS, type RepositoryOptions, systemClock } from './clock';
import { decodeInvitation, decodeNotification, guarded, type Versioned } from './codec';
import { retryOnConflict } from './conflict-retry';
import { isDeepStrictEqual } from 'node:util';
import { type MergeResult, mergeInvitation } from './invitation-merge';
import { type ConversationBatch, conversationBatchChanges, conversationBatchKeys } from './message-repository';
import { cardView } from './invitation-state';
import { storageKeys } from './keys';
import { collapseNotification, type QueueSignal } from './notification-queue';
import {
  type AccountSessionInput,
  type InvitationRecord,
  type InvitationUpsert,
  invitationIdFor,
  type PendingNotification,
} from './records';

export interface EventBatch {
  /** Invitations as the batch's events describe them, in event order (one invitation may appear several times). */
  invitations: InvitationUpsert[];
  /** The account's session as it should be once the batch is acknowledged (typically eventsHref = `next`). */
  session?: AccountSessionInput;
  /** Conversations and messages of accepted invitations (see message-repository.ts), stored in the same write. */
  conversations?: ConversationBatch;
}

export interface PersistedInvitation {
  record: InvitationRecord;
  created: boolean;
  changed: boolean;
  /** What the card shows changed (see cardView). */
  redraw: boolean;
  /** Set when the batch changed the invitation's card, so it must be posted (no Teams activity yet) or updated. */
  notification?: PendingNotification;
}

interface Fold extends MergeResult {
  /** The record as stored before this batch, with its eTag. */
  before?: Versioned<InvitationRecord>;
}

interface Options extends RepositoryOptions {
  /** Whether changed invitations get a card notification. The batch path always notifies. */
  notify: boolean;
  /** Told when the write queued a card. */
  queued?: QueueSignal;
}

/** The storage items of one invitation change: the record, and its card's notification when the card must change. */
export interface InvitationChange {
  record: StoreItems;
  notification: StoreItems;
  pending?: PendingNotification;
}

/**
 * Builds one invitation change from what was read (`stored` holds the record's and the notification's items): the
 * record guarded by the eTag it was read with, and, if `redraw`, the notification collapsed into the pending one
 * ('post' while the card was never posted, else 'update'). Callers write the notification before the record.
 */
export function invitationChange(
  stored: StoreItems,
  before: Versioned<InvitationRecord> | undefined,
  record: InvitationRecord,
  redraw: boolean,
  now: Date,
): InvitationChange {
  const change: InvitationChange = {
    record: { [storageKeys.invitation(record.id)]: guarded(record, before?.eTag) },
    notification: {},
  };
  if (!redraw) return change;
  const key = storageKeys.notification(record.id);
  const current = decodeNotification(stored, key);
  change.pending = collapseNotification(current?.value, record.id, record.teamsActivityId ? 'update' : 'post', now);
  change.notification[key] = guarded(change.pending, current?.eTag);
  return change;
}

/**
 * Writes the batch in one storage write. Each invitation is merged with its stored record (see mergeInvitation),
 * written only if that changed it, and gets a collapsed 'post' (no card yet) or 'update' notification if that
 * changed what its card shows.
 * Records and notifications read from storage are written back under their eTags; if another writer (a click's
 * transition, the drainer completing a notification) got in between, the whole batch is re-read and re-merged.
 * Returns one result per distinct invitation, in first-seen order.
 */
export async function persistEventBatch(
  storage: ScanStorage,
  batch: EventBatch,
  options: RepositoryOptions = {},
  queued?: QueueSignal,
): Promise<PersistedInvitation[]> {
  return writeInvitationUpserts(storage, batch, { ...options, notify: true, queued });
}

/** @internal shared by persistEventBatch and InvitationRepository.upsertFromEvent. */
export async function writeInvitationUpserts(
  storage: ScanStorage,
  batch: EventBatch,
  options: Options,
): Promise<PersistedInvitation[]> {
  const clock: Clock = options.clock ?? systemClock;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const ids = [...new Set(batch.invitations.map((i) => invitationIdFor(i.accountId, i.invitationHref)))];
  const conversationKeys = batch.conversations ? conversationBatchKeys(batch.conversations) : [];
  if (ids.length === 0 && !batch.session && conversationKeys.length === 0) return [];

  return retryOnConflict(`persisting an event batch of ${ids.length} invitation(s)`, maxAttempts, async () => {
    const now = clock();
    const stamp = now.toISOString();
    const readKeys = ids.map(storageKeys.invitation);
    if (options.notify) readKeys.push(...ids.map(storageKeys.notification));
    readKeys.push(...conversationKeys);
    const stored = readKeys.length > 0 ? await storage.read(readKeys) : {};

    // Fold the batch's events in order, per invitation, starting from what is stored.
    const folds = new Map<string, Fold>();
    for (const input of batch.invitations) {
      const id = invitationIdFor(input.accountId, input.invitationHref);
      const fold = folds.get(id);
      if (!fold) {
        const before = decodeInvitation(stored, storageKeys.invitation(id));
        folds.set(id, { before, ...mergeInvitation(before?.value, input, stamp) });
        continue;
      }
      const merge = mergeInvitation(fold.record, input, stamp);
      fold.record = merge.record;
      fold.created ||= merge.created;
      fold.changed ||= merge.changed;
    }

    // Key order matters on a storage without transactions (Azure Blob writes the items one by one, in this order,
    // and may stop part-way): notifications first, then records, the session (the ack position) last. So any
    // prefix that lands is harmless: an extra notification renders the record as it is; a record never changes
    // its card without its notification (a retry would find it unchanged and not notify); the batch is never
    // acknowledged before its records are stored.
    let notifications: StoreItems = {};
    let records: StoreItems = {};
    const results: PersistedInvitation[] = [];
    for (const fold of folds.values()) {
      const result: PersistedInvitation = { record: fold.record, created: fold.created, changed: fold.changed, redraw: false };
      results.push(result);
      if (!fold.changed) continue;
      // One stored change per batch, however many events it folded.
      result.record = { ...fold.record, updatedAt: stamp, version: (fold.before?.value.version ?? 0) + 1 };
      // Against the card as it was before the batch: a change made and undone within it draws nothing.
      result.redraw = !fold.before || !isDeepStrictEqual(cardView(fold.before.value), cardView(result.record));
      const change = invitationChange(stored, fold.before, result.record, options.notify && result.redraw, now);
      notifications = { ...notifications, ...change.notification };
      records = { ...records, ...change.record };
      result.notification = change.pending;
    }
    // Messages with their relay entries go with the batch, before its acknowledgement (the session) like the rest.
    const conversation = batch.conversations ? conversationBatchChanges(stored, batch.conversations, now) : { items: {}, relayed: 0 };
    const changes: StoreItems = { ...notifications, ...conversation.items, ...records };
    if (batch.session) {
      changes[storageKeys.account(batch.session.accountId)] = { ...toStoredSession(batch.session, now), eTag: '*' };
    }
    if (Object.keys(changes).length > 0) await storage.write(changes);
    if (Object.keys(notifications).length > 0 || conversation.relayed > 0) options.queued?.notify();
    return results;
  });
}
