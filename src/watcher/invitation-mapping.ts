// From what the event channel said about an invitation to what the store keeps about it.
import type { InvitationUpdate, OutcomeKind } from '../ucwa/invitation';
import type { InvitationState, InvitationUpsert } from '../store';

const STATE_OF_OUTCOME: Record<OutcomeKind, InvitationState> = {
  connected: 'connected',
  inLobby: 'inLobby',
  declined: 'declined',
  cancelledBySender: 'cancelledBySender',
  missed: 'missed',
  answeredElsewhere: 'answeredElsewhere',
  denied: 'denied',
  failed: 'failed',
};

export function stateOfUpdate(update: InvitationUpdate): InvitationState {
  return update.outcome ? STATE_OF_OUTCOME[update.outcome.kind] : 'pending';
}

export function toUpsert(accountId: string, update: InvitationUpdate): InvitationUpsert {
  const inv = update.invitation;
  if (!update.complete) {
    // A link-only event says which invitation and what happened, nothing more: let the stored facts stand.
    return { accountId, invitationHref: inv.href, state: stateOfUpdate(update), outcomeReason: update.outcome?.reason, receivedAt: inv.receivedAt.toISOString(), availableModalities: [], from: {}, actions: {}, kind: inv.kind } as unknown as InvitationUpsert;
  }
  return {
    accountId,
    kind: inv.kind,
    subject: inv.subject,
    importance: inv.importance,
    from: { ...inv.from },
    onBehalfOf: inv.onBehalfOf ? { name: inv.onBehalfOf.name, uri: inv.onBehalfOf.uri } : undefined,
    message: inv.message,
    onlineMeetingUri: inv.onlineMeetingUri,
    availableModalities: inv.availableModalities,
    threadId: inv.threadId,
    ucwaConversationHref: inv.conversationHref,
    receivedAt: inv.receivedAt.toISOString(),
    state: stateOfUpdate(update),
    outcomeReason: update.outcome?.reason,
    actions: { ...inv.actions },
    invitationHref: inv.href,
  };
}

