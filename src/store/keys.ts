// Every storage key this store uses, in one place. The `sfb/` namespace keeps them apart from botbuilder's own
// state keys (`<channelId>/conversations/...`, `<channelId>/users/...`) when they share one storage.
//
//   sfb/invitations/<accountKey>.<invitationPart>   InvitationRecord   (the key suffix is the invitation id)
//   sfb/notifications/<invitationId>                PendingNotification (one per invitation; completed ones stay
//                                                    as tombstones, see NotificationQueue)
//   sfb/accounts/<accountKey>                       AccountSession
//   sfb/installations/<accountId>                   Installation (the Teams user's AccountId: an Entra object id,
//                                                    which names no address)
//   sfb/readiness/<instance>                        the /readyz write probe of one bot instance (nothing reads it)
//
// <accountKey> is accountKeyFor(accountId): a digest, so keys (which appear in error messages) carry no address.
import type { AccountId } from './account-id';
import { accountKeyFor } from './records';

export const KEY_PREFIXES = {
  invitation: 'sfb/invitations/',
  notification: 'sfb/notifications/',
  account: 'sfb/accounts/',
  installation: 'sfb/installations/',
  readiness: 'sfb/readiness/',
} as const;

export const storageKeys = {
  invitation: (invitationId: string): string => `${KEY_PREFIXES.invitation}${invitationId}`,
  /** Prefix of every invitation of one account (ids start with the account key). */
  invitationsOfAccount: (accountId: string): string => `${KEY_PREFIXES.invitation}${accountKeyFor(accountId)}.`,
  notification: (invitationId: string): string => `${KEY_PREFIXES.notification}${invitationId}`,
  account: (accountId: string): string => `${KEY_PREFIXES.account}${accountKeyFor(accountId)}`,
  /** Keyed by the AccountId itself, as installations always were (an Entra object id, lower-case). */
  installation: (accountId: AccountId): string => `${KEY_PREFIXES.installation}${accountId}`,
  /** `instance` is reduced to [A-Za-z0-9._-] and 64 characters, so any host name makes a safe key. */
  readiness: (instance: string): string => `${KEY_PREFIXES.readiness}${instance.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'default'}`,
};
