// Folding a UCWA event into a stored invitation: the facts field by field here, the state by the invitation's state
// machine (invitation-state.ts). Pure, so the rules are testable on their own.
import { definedOnly } from './codec';
import { compare, decide, type ReportedState, statusOf, withStatus } from './invitation-state';
import { INVITATION_STATES, type InvitationRecord, type InvitationUpsert, invitationIdFor } from './records';

export interface MergeResult {
  record: InvitationRecord;
  /** No record existed before. */
  created: boolean;
  /** The stored record differs (false for a harmless re-delivery: nothing needs writing or re-rendering). */
  changed: boolean;
  /** What the card shows differs (see cardView): it must be drawn again. */
  redraw: boolean;
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
 * Folds one event into the stored record (or creates it). The state, its reason and the pool's words for it are the
 * state machine's decision (decide, input `event`). Identity fields and
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
      reason: 'reported',
      updatedAt: now,
      version: 1,
    };
    if (input.onBehalfOf) record.onBehalfOf = definedOnly(input.onBehalfOf);
    return { record: normalise(record), created: true, changed: true, redraw: true };
  }

  const decision = decide(statusOf(existing), { kind: 'event', state: input.state as ReportedState, serverReason: input.outcomeReason });
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
    // Decided below: an event whose state lost keeps the stored state and reason.
    state: existing.state,
    outcomeReason: existing.outcomeReason,
    // Owned by the bot side.
    teamsActivityId: existing.teamsActivityId,
    conversationId: existing.conversationId,
    cardPostStartedAt: existing.cardPostStartedAt,
    updatedAt: existing.updatedAt,
    version: existing.version,
  };
  if (input.onBehalfOf) merged.onBehalfOf = { ...existing.onBehalfOf, ...definedOnly(input.onBehalfOf) };

  const candidate = normalise(decision.kind === 'move' ? withStatus(merged, decision.to, decision.serverReason) : merged);
  const result = compare(normalise(existing), candidate);
  if (!result.changed) return { record: existing, created: false, changed: false, redraw: false };
  return { record: { ...candidate, updatedAt: now, version: existing.version + 1 }, created: false, changed: true, redraw: result.redraw };
}

/** The JSON form (undefined properties dropped), which is what storage keeps and what comparisons must use. */
function normalise(record: InvitationRecord): InvitationRecord {
  return JSON.parse(JSON.stringify(record)) as InvitationRecord;
}
