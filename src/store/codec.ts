// Turns raw storage items into typed records and back. Reads check the few fields the store relies on, so a
// corrupt or foreign item fails loudly with its key instead of misbehaving later.
import type { StoreItem, StoreItems } from 'botbuilder';
import { StoreDataError } from './errors';
import type { Installation } from './installation-repository';
import { INVITATION_REASONS, type InvitationReason } from './invitation-state';
import {
  type AccountSession,
  INVITATION_STATES,
  type InvitationRecord,
  type InvitationState,
  type PendingNotification,
} from './records';

/** A record as read, with the eTag that guards writing it back. */
export interface Versioned<T> {
  value: T;
  eTag: string;
}

/** What the notification queue stores: a pending notification, or a completed one kept as a tombstone. */
export interface StoredNotification extends PendingNotification {
  completedAt?: string;
}

export type Check<T> = (value: Record<string, unknown>) => value is Record<string, unknown> & T;

/** One stored item as a checked, versioned record (undefined when absent); `what` names it in the error. */
export function decode<T>(items: StoreItems, key: string, what: string, check: Check<T>): Versioned<T> | undefined {
  const raw: unknown = items[key];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null) throw new StoreDataError(key, `expected an object, got ${typeof raw}`);
  const { eTag, ...value } = raw as StoreItem;
  // Without an eTag every guarded write would silently become unconditional; refuse rather than race.
  if (typeof eTag !== 'string' || eTag === '') {
    throw new StoreDataError(key, 'the storage returned it without an eTag (optimistic concurrency is required)');
  }
  if (!check(value)) throw new StoreDataError(key, `not a valid ${what}`);
  return { value: value as T, eTag };
}

const isString = (v: unknown): v is string => typeof v === 'string';

const isInvitation: Check<InvitationRecord> = (v): v is Record<string, unknown> & InvitationRecord =>
  (v.reason === undefined || INVITATION_REASONS.includes(v.reason as InvitationReason)) &&
  isString(v.id) &&
  isString(v.accountId) &&
  isString(v.invitationHref) &&
  INVITATION_STATES.includes(v.state as InvitationState) &&
  typeof v.version === 'number' &&
  typeof v.actions === 'object' &&
  v.actions !== null;

const isNotification: Check<StoredNotification> = (v): v is Record<string, unknown> & StoredNotification =>
  isString(v.invitationId) &&
  (v.kind === 'post' || v.kind === 'update') &&
  isString(v.createdAt) &&
  isString(v.queuedSince);

const isSession: Check<AccountSession> = (v): v is Record<string, unknown> & AccountSession =>
  isString(v.accountId) && isString(v.sip) && isString(v.status);

const isInstallation: Check<Installation> = (v): v is Record<string, unknown> & Installation =>
  isString(v.aadObjectId) &&
  v.aadObjectId !== '' &&
  typeof v.active === 'boolean' &&
  typeof v.reference === 'object' &&
  v.reference !== null;

export const decodeInstallation = (items: StoreItems, key: string): Versioned<Installation> | undefined =>
  decode(items, key, 'installation', isInstallation);

export const decodeInvitation = (items: StoreItems, key: string): Versioned<InvitationRecord> | undefined => {
  const read = decode(items, key, 'invitation record', isInvitation);
  return read && { ...read, value: upgradeInvitation(read.value) };
};

/** What the pool answers a late Accept/Decline with once the invitation has ended (UCWA code, or the bare status). */
const ENDED_BEFORE_THE_ANSWER = new Set(['NotFound', 'Conflict', 'Gone', '404', '409', '410']);

/**
 * Records stored before the state machine kept a reason. Their own outcomes were told apart by `outcomeReason.code`:
 * 'ConnectionLost' (reconciliation: failed, which an event could still refine; the application lost: ended) and the
 * code or bare HTTP status of a refused click (failed). Those become the reasons the machine gives them today, and a
 * click refused because the invitation had ended becomes what the card showed it as: ended, provisionally.
 */
export function upgradeInvitation(record: InvitationRecord): InvitationRecord {
  if (record.reason !== undefined) return record;
  const code = record.outcomeReason?.code ?? '';
  const own = (state: InvitationRecord['state'], reason: InvitationReason, provisional: boolean): InvitationRecord => {
    const { outcomeReason, ...rest } = record;
    const upgraded: InvitationRecord = { ...rest, state, reason };
    if (provisional) upgraded.provisional = true;
    // A refused click's server words stay: the card shows them under "Failed".
    if (reason === 'actionRefused' && outcomeReason) upgraded.outcomeReason = outcomeReason;
    return upgraded;
  };
  if (record.state === 'failed' && code === 'ConnectionLost') return own('failed', 'connectionLost', true);
  if (record.state === 'failed' && ENDED_BEFORE_THE_ANSWER.has(code)) return own('ended', 'endedBeforeAnswer', true);
  if (record.state === 'failed' && /^\d{3}$/.test(code)) return own('failed', 'actionRefused', true);
  if (record.state === 'ended') return own('ended', /restarted/i.test(record.outcomeReason?.message ?? '') ? 'applicationReplaced' : 'applicationLost', false);
  return { ...record, reason: record.state === 'accepting' || record.state === 'declining' ? 'clicked' : 'reported' };
}

export const decodeNotification = (items: StoreItems, key: string): Versioned<StoredNotification> | undefined =>
  decode(items, key, 'notification', isNotification);

export const decodeSession = (items: StoreItems, key: string): Versioned<AccountSession> | undefined =>
  decode(items, key, 'account session', isSession);

/**
 * The write form of a record: guarded by `eTag` when it was read from storage, unconditional when new.
 * (botbuilder's Storage has no "create only if absent"; a new key cannot be guarded.)
 */
export function guarded<T extends object>(value: T, eTag: string | undefined): StoreItem {
  return eTag === undefined ? { ...value } : { ...value, eTag };
}

/** Copies an object without its undefined-valued properties, so a partial update never erases a stored field. */
export function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (!value) return out;
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
