// Invitation records: lookup by the opaque id from card data, event upserts, and the eTag-guarded state moves
// that make a double click (or two bot instances) resolve to exactly one action.
import { type Clock, DEFAULT_MAX_ATTEMPTS, type RepositoryOptions, systemClock } from './clock';
import { decodeInvitation, definedOnly, guarded, type Versioned } from './codec';
import { retryOnConflict } from './conflict-retry';
import { isETagConflict } from './errors';
import { writeInvitationUpserts } from './event-batch';
import type { MergeResult } from './invitation-merge';
import { storageKeys } from './keys';
import {
  INVITATION_STATES,
  type InvitationPatch,
  type InvitationRecord,
  type InvitationState,
  type InvitationUpsert,
  isTerminalState,
} from './records';
import { compareKeys, type ScanStorage } from './storage';

export type TransitionResult =
  | { ok: true; record: InvitationRecord }
  /** `stateMismatch`: the record is not in any `from` state (someone else moved it first). */
  | { ok: false; reason: 'stateMismatch' | 'conflict'; record: InvitationRecord }
  | { ok: false; reason: 'notFound'; record: undefined };

export class InvitationRepository {
  private readonly clock: Clock;
  private readonly maxAttempts: number;

  constructor(
    private readonly storage: ScanStorage,
    private readonly options: RepositoryOptions = {},
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
    return { record: result.record, created: result.created, changed: result.changed };
  }

  /**
   * Compare-and-set of the state: succeeds only if the record is in one of `from` when the write lands.
   * If another writer got in between (eTag conflict), it re-reads: still in `from` (e.g. the watcher only
   * refreshed the subject) -> tries again; moved on (e.g. the other click won) -> `ok: false` with the current
   * record, which is what the loser shows. So concurrent transitions out of the same states have one winner.
   * Keep `to` out of `from` (a self-transition would let every caller "win").
   * `patch` fields are written with the state (undefined fields are ignored, identity fields cannot be patched).
   */
  async transition(
    id: string,
    from: readonly InvitationState[],
    to: InvitationState,
    patch: InvitationPatch = {},
  ): Promise<TransitionResult> {
    if (!INVITATION_STATES.includes(to)) throw new TypeError(`transition(${id}): "${to}" is not an invitation state`);
    const key = storageKeys.invitation(id);
    for (let attempt = 1; ; attempt++) {
      const current = await this.read(id);
      if (!current) return { ok: false, reason: 'notFound', record: undefined };
      if (!from.includes(current.value.state)) return { ok: false, reason: 'stateMismatch', record: current.value };
      const next: InvitationRecord = {
        ...current.value,
        ...(definedOnly(patch) as InvitationPatch),
        id: current.value.id,
        accountId: current.value.accountId,
        invitationHref: current.value.invitationHref,
        state: to,
        updatedAt: this.clock().toISOString(),
        version: current.value.version + 1,
      };
      try {
        await this.storage.write({ [key]: guarded(next, current.eTag) });
        return { ok: true, record: next };
      } catch (err) {
        if (!isETagConflict(err)) throw err;
        if (attempt >= this.maxAttempts) {
          const latest = await this.read(id);
          return latest
            ? { ok: false, reason: 'conflict', record: latest.value }
            : { ok: false, reason: 'notFound', record: undefined };
        }
      }
    }
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

  /** The account's invitations that are not in a terminal state, oldest first. */
  async listOpenForAccount(accountId: string): Promise<InvitationRecord[]> {
    const keys = await this.storage.keysWithPrefix(storageKeys.invitationsOfAccount(accountId));
    if (keys.length === 0) return [];
    const items = await this.storage.read(keys);
    const open: InvitationRecord[] = [];
    for (const key of keys) {
      const record = decodeInvitation(items, key)?.value;
      // The accountId check guards against the (astronomically unlikely) account-key prefix collision.
      if (record && record.accountId === accountId && !isTerminalState(record.state)) open.push(record);
    }
    return open.sort((a, b) => compareKeys(a.receivedAt, b.receivedAt) || compareKeys(a.id, b.id));
  }

  private async read(id: string): Promise<Versioned<InvitationRecord> | undefined> {
    const key = storageKeys.invitation(id);
    return decodeInvitation(await this.storage.read([key]), key);
  }
}
