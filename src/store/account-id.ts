// The ids of a linked account, normalised once where they enter the product (the accounts file, a Teams activity,
// a sign-in, a command line), so that everything behind that edge compares and keys them as they are.
//
// An AccountId names the Teams user an account belongs to: their Entra object id (a GUID) or, in the accounts file,
// their UPN. Both are case-insensitive, so the stored form is trimmed and lower-cased; it is what the store's keys
// and records have always held, so no stored data changes.

declare const accountIdBrand: unique symbol;
declare const sipAddressBrand: unique symbol;

/** A normalised Teams user id (Entra object id or UPN): trimmed, lower-case, never empty. */
export type AccountId = string & { readonly [accountIdBrand]: true };

/** A normalised SIP address: `sip:user@domain`, lower-case. */
export type SipAddress = string & { readonly [sipAddressBrand]: true };

/** The AccountId of a raw value, or undefined when it is not a non-empty string. */
export function accountIdOf(raw: unknown): AccountId | undefined {
  if (typeof raw !== 'string') return undefined;
  const id = raw.trim().toLowerCase();
  return id === '' ? undefined : (id as AccountId);
}

/**
 * An id read back from a record or a watcher's status. It was an AccountId when it was written, so it is typed as
 * one again without being normalised a second time.
 */
export function storedAccountId(id: string): AccountId {
  return id as AccountId;
}

const SIP_ADDRESS = /^sip:[^@\s]+@[^@\s]+$/;

/**
 * The SipAddress of a raw value: surrounding spaces dropped, lower-cased (the `SIP:` scheme in any case is accepted).
 * The scheme is required: a bare `user@domain` is not taken for a SIP address (see sipAddressOfUpn for that).
 */
export function sipAddressOf(raw: unknown): SipAddress | undefined {
  if (typeof raw !== 'string') return undefined;
  const sip = raw.trim().toLowerCase();
  return SIP_ADDRESS.test(sip) ? (sip as SipAddress) : undefined;
}

/** A signed-in user's Skype account is the one named by their UPN: `sip:<upn>`. */
export function sipAddressOfUpn(upn: string): SipAddress | undefined {
  return sipAddressOf(`sip:${upn.trim()}`);
}
