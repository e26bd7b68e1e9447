// The rules for folding a UCWA event into a stored invitation. Pure, so the rules are testable on their own.
import { isDeepStrictEqual } from 'node:util';
import { definedOnly } from './codec';
import {
  INVITATION_STATES,
  type InvitationRecord,
  type InvitationState,
  type InvitationUpsert,
  invitationIdFor,
  isTerminalState,
} from './records';

/**
 * How far along an invitation is. Events only move it forward: a re-delivered `started` (pending) never undoes
 * the user's click (accepting) or the lobby, and nothing leaves a terminal state.
 */
const PROGRESS: Record<InvitationState, number> = {
  pending: 0,
  accepting: 1,
  declining: 1,
  inLobby: 2,
  connected: 3,
  declined: 4,
  cancelledBySender: 4,
  missed: 4,
  answeredElsewhere: 4,
  denied: 4,
  failed: 4,
  ended: 4,
};

/**
 * The state after an event reports `incoming` for an invitation in `current`.
 * Terminal states are final, except `failed` (the bot's own "something went wrong") which a later event may
 * refine to the real outcome (e.g. cancelledBySender). Otherwise the further-along state wins; on a tie the
 * stored one stays (accepting vs declining is the user's choice, not the event's).
 */
export function mergeState(current: InvitationState, incoming: InvitationState): InvitationState {
  if (current === incoming) return current;
  if (isTerminalState(current)) return current === 'failed' && isTerminalState(incoming) ? incoming : current;
  return PROGRESS[incoming] > PROGRESS[current] ? incoming : current;
}

export interface MergeResult {
  record: InvitationRecord;
  /** No record existed before. */
  created: boolean;
  /** The stored record differs (false for a harmless re-delivery: nothing needs writing or re-rendering). */
  changed: boolean;
}

/** Checks an event-derived invitation before it reaches storage; messages name the field, not its value. */
export function checkUpsert(input: InvitationUpsert): void {
  const problem = (field: string, why: string) =>
    new TypeError(`Invitation upsert: ${field} ${why} (invitation ${input.invitationHref ?? '?'})`);
  if (typeof input.accountId !== 'string' || input.accountId === '') throw problem('accountId', 'must be a non-empty string');
  if (typeof input.invitationHref !== 'string' || input.invitationHref === '') {
    throw problem('invitationHref', 'must be a non-empty string');
  }
  if (!INVITATION_STATES.includes(input.state)) throw problem('state', 'is not a known invitation state');
  if (!Array.isArray(input.availableModalities)) throw problem('availableModalities', 'must be an array');
}

/**
 * Folds one event into the stored record (or creates it). Besides the state rule above: identity fields and
 * receivedAt keep their first value; the Teams activity/conversation ids are never touched (they are the bot's);
 * cached action hrefs, `from` and `onBehalfOf` are merged field by field so an event that omits them loses nothing;
 * other fields take the event's value when it has one.
 */
export function mergeInvitation(
  existing: InvitationRecord | undefined,
  input: InvitationUpsert,
  now: string,
): MergeResult {
  checkUpsert(input);
  if (!existing) {
    const record: InvitationRecord = {
      ...(definedOnly(input) as InvitationUpsert),
      id: invitationIdFor(input.accountId, input.invitationHref),
      from: definedOnly(input.from),
      actions: definedOnly(input.actions),
      availableModalities: [...input.availableModalities],
      updatedAt: now,
      version: 1,
    };
    if (input.onBehalfOf) record.onBehalfOf = definedOnly(input.onBehalfOf);
    return { record: normalise(record), created: true, changed: true };
  }

  const state = mergeState(existing.state, input.state);
  const merged: InvitationRecord = {
    ...existing,
    ...definedOnly(input),
    // Identity and first-seen facts.
    id: existing.id,
    accountId: existing.accountId,
    invitationHref: existing.invitationHref,
    receivedAt: existing.receivedAt,
    // Field-by-field merges that must not lose what an earlier event said.
    from: { ...existing.from, ...definedOnly(input.from) },
    actions: { ...existing.actions, ...definedOnly(input.actions) },
    availableModalities:
      input.availableModalities.length > 0 ? [...input.availableModalities] : existing.availableModalities,
    state,
    // The reason belongs to the state that is kept: an event whose state lost keeps the stored reason.
    outcomeReason:
      state === input.state && input.outcomeReason ? { ...input.outcomeReason } : existing.outcomeReason,
    // Owned by the bot side.
    teamsActivityId: existing.teamsActivityId,
    conversationId: existing.conversationId,
    cardPostStartedAt: existing.cardPostStartedAt,
    updatedAt: existing.updatedAt,
    version: existing.version,
  };
  if (input.onBehalfOf) merged.onBehalfOf = { ...existing.onBehalfOf, ...definedOnly(input.onBehalfOf) };

  const candidate = normalise(merged);
  if (isDeepStrictEqual(candidate, normalise(existing))) return { record: existing, created: false, changed: false };
  return { record: { ...candidate, updatedAt: now, version: existing.version + 1 }, created: false, changed: true };
}

/** The JSON form (undefined properties dropped), which is what storage keeps and what comparisons must use. */
function normalise(record: InvitationRecord): InvitationRecord {
  return JSON.parse(JSON.stringify(record)) as InvitationRecord;
}
