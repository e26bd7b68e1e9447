// Turns raw storage items into typed records and back. Reads check the few fields the store relies on, so a
// corrupt or foreign item fails loudly with its key instead of misbehaving later.
import type { StoreItem, StoreItems } from 'botbuilder';
import { StoreDataError } from './errors';
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

type Check<T> = (value: Record<string, unknown>) => value is Record<string, unknown> & T;

function decode<T>(items: StoreItems, key: string, what: string, check: Check<T>): Versioned<T> | undefined {
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

export const decodeInvitation = (items: StoreItems, key: string): Versioned<InvitationRecord> | undefined =>
  decode(items, key, 'invitation record', isInvitation);

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
