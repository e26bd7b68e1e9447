// The phone number a call is answered on (acceptWithPhoneAudio rings it): checked and normalised where a person
// types it, and never written whole into a log line.

declare const phoneNumberBrand: unique symbol;

/** A normalised phone number: an optional leading `+` and 7 to 15 digits, nothing else. */
export type PhoneNumber = string & { readonly [phoneNumberBrand]: true };

export type PhoneNumberParse = { ok: true; number: PhoneNumber } | { ok: false; problem: string };

const MIN_DIGITS = 7;
const MAX_DIGITS = 15;

/**
 * Reads a number as a person types it (E.164-like): an optional leading `+`, then digits, with spaces, dashes and
 * parentheses allowed between them (they are dropped). `problem` is one sentence fit to show the person.
 */
export function parsePhoneNumber(raw: string): PhoneNumberParse {
  const text = raw.trim();
  const plus = text.startsWith('+');
  const body = plus ? text.slice(1) : text;
  if (!/^[\d\s()-]+$/.test(body)) {
    return { ok: false, problem: 'A phone number may hold only digits, a leading +, spaces, dashes and parentheses.' };
  }
  const digits = body.replace(/\D/g, '');
  if (digits.length < MIN_DIGITS || digits.length > MAX_DIGITS) {
    return { ok: false, problem: `A phone number needs ${MIN_DIGITS} to ${MAX_DIGITS} digits (this one has ${digits.length}).` };
  }
  return { ok: true, number: `${plus ? '+' : ''}${digits}` as PhoneNumber };
}

/** For logs: every digit but the last two is masked (`+*********00`). */
export function maskPhoneNumber(number: string): string {
  const keep = 2;
  let seen = 0;
  const total = number.replace(/\D/g, '').length;
  return number.replace(/\d/g, (d) => (++seen > total - keep ? d : '*'));
}
