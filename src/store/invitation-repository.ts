// Invitation records: lookup by the opaque id from card data, event upserts, and the eTag-guarded moves by the
// state machine that make a double click (or two bot instances) resolve to exactly one action.
import { type Clock, DEFAULT_MAX_ATTEMPTS, type RepositoryOptions, systemClock } from './clock';
import { decodeInvitation, guarded, type Versioned } from './codec';
import { retryOnConflict } from './conflict-retry';
import { invitationChange, writeInvitationUpserts } from './event-batch';
import type { MergeResult } from './invitation-merge';
import { type InvitationInput, isSettled, step } from './invitation-state';
import { storageKeys } from './keys';
import { QueueSignal } from './notification-queue';
import type { InvitationRecord, InvitationUpsert } from './records';
import { compareKeys, type ScanStorage } from './storage';

export type ApplyResult =
  /** The input was applied (`changed` false: it did not apply to the record's state, e.g. a late answer). */
  | { ok: true; record: InvitationRecord; changed: boolean; redraw: boolean }
  /** A click that lost: the record is no longer pending (someone else moved it first); `record` is what won. */
  | { ok: false; reason: 'refused'; record: InvitationRecord }
  | { ok: false; reason: 'notFound'; record: undefined };

export class InvitationRepository {
  private readonly clock: Clock;
  private readonly maxAttempts: number;

  constructor(
    private readonly storage: ScanStorage,
    private readonly options: RepositoryOptions = {},
    /** Told when a write queued a card; the queue's subscribers (the notifier) drain it. */
    private readonly queued: QueueSignal = new QueueSignal(),
  ) {
    this.clock = options.clock ?? systemClock;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  async get(id: string): Promise<InvitationRecord | undefined> {
    return (await this.read(id))?.value;
  }

  /**
   * Creates or merges the record for an event (rules in mergeInvitation). Does not notify: the watcher uses
   * persistEventBatch, which also queues the card; this is for single updates outside a batch.
   */
  async upsertFromEvent(input: InvitationUpsert): Promise<MergeResult> {
    const [result] = await writeInvitationUpserts(this.storage, { invitations: [input] }, {
      ...this.options,
      notify: false,
    });
    return { record: result.record, created: result.created, changed: result.changed, redraw: result.redraw };
  }

  /**
   * Moves an invitation by the state machine (see invitation-state.ts) and, when its card must change, queues the card
   * in the same storage write: the record and its notification land together or not at all (on SQLite; on Azure Blob
   * the notification first, see writeInvitationChange). eTag-guarded: if another writer got in between (an event
   * batch, another instance's click), the input is decided again on what that writer left, so concurrent clicks on a
   * pending invitation have exactly one winner and the others are `refused` with the winner's record.
   */
  async apply(id: string, input: InvitationInput): Promise<ApplyResult> {
    return retryOnConflict(`applying ${input.kind} to ${storageKeys.invitation(id)}`, this.maxAttempts, async () => {
      const now = this.clock();
      const stored = await this.storage.read([storageKeys.invitation(id), storageKeys.notification(id)]);
      const current = decodeInvitation(stored, storageKeys.invitation(id));
      if (!current) return { ok: false, reason: 'notFound', record: undefined };
      const next = step(current.value, input);
      if (next.refused) return { ok: false, reason: 'refused', record: current.value };
      if (!next.changed) return { ok: true, record: current.value, changed: false, redraw: false };
      const record: InvitationRecord = { ...next.record, updatedAt: now.toISOString(), version: current.value.version + 1 };
      const change = invitationChange(stored, current, record, next.redraw, now);
      await this.storage.write({ ...change.notification, ...change.record });
      if (next.redraw) this.queued.notify();
      return { ok: true, record, changed: true, redraw: next.redraw };
    });
  }

  /**
   * Notes, before a POST of the invitation's card, that a post is starting (cardPostStartedAt), so that a later
   * process knows a copy may exist if this one stops before the id is stored. Returns the record as written and the
   * time of an earlier post whose outcome was never stored, if there was one; undefined when there is no record.
   */
  async markCardPosting(id: string): Promise<{ record: InvitationRecord; earlierPostStartedAt?: string } | undefined> {
    const key = storageKeys.invitation(id);
    return retryOnConflict(`markCardPosting for ${key}`, this.maxAttempts, async () => {
      const current = await this.read(id);
      if (!current) return undefined;
      const earlierPostStartedAt = current.value.cardPostStartedAt;
      const next: InvitationRecord = {
        ...current.value,
        cardPostStartedAt: this.clock().toISOString(),
        updatedAt: this.clock().toISOString(),
        version: current.value.version + 1,
      };
      await this.storage.write({ [key]: guarded(next, current.eTag) });
      return { record: next, earlierPostStartedAt };
    });
  }

  /**
   * Remembers the card posted for the invitation (and that no post is in progress any more). Returns the updated
   * record, or undefined if there is none.
   */
  async setTeamsActivity(
    id: string,
    activityId: string,
    conversationId: string,
  ): Promise<InvitationRecord | undefined> {
    const key = storageKeys.invitation(id);
    return retryOnConflict(`setTeamsActivity for ${key}`, this.maxAttempts, async () => {
      const current = await this.read(id);
      if (!current) return undefined;
      const record = current.value;
      if (record.teamsActivityId === activityId && record.conversationId === conversationId && !record.cardPostStartedAt) return record;
      const { cardPostStartedAt: _posted, ...rest } = record;
      const next: InvitationRecord = {
        ...rest,
        teamsActivityId: activityId,
        conversationId,
        updatedAt: this.clock().toISOString(),
        version: record.version + 1,
      };
      await this.storage.write({ [key]: guarded(next, current.eTag) });
      return next;
    });
  }

  /**
   * The account's invitations that are not settled, oldest first: open ones, and outcomes that are only provisional
   * (an event of the pool may still overrule them).
   */
  async listOpenForAccount(accountId: string): Promise<InvitationRecord[]> {
    const keys = await this.storage.keysWithPrefix(storageKeys.invitationsOfAccount(accountId));
    if (keys.length === 0) return [];
    const items = await this.storage.read(keys);
    const open: InvitationRecord[] = [];
    for (const key of keys) {
      const record = decodeInvitation(items, key)?.value;
      // The accountId check guards against the (astronomically unlikely) account-key prefix collision.
      if (record && record.accountId === accountId && !isSettled(record)) open.push(record);
    }
    return open.sort((a, b) => compareKeys(a.receivedAt, b.receivedAt) || compareKeys(a.id, b.id));
  }

  private async read(id: string): Promise<Versioned<InvitationRecord> | undefined> {
    const key = storageKeys.invitation(id);
    return decodeInvitation(await this.storage.read([key]), key);
  }
}
