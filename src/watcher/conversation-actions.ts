// What the user does in an accepted conversation from Teams: reply (sent at most once per idempotency key, however
// often Teams retries or the user clicks) and leave (stopMessaging). The invitation's state machine says whether the
// conversation is still going on; the conversation record holds the links the pool gave.
import { UcwaHttpError } from '../ucwa/errors';
import type { MessagingClient } from '../ucwa/messaging';
import { MAX_OUTGOING_MESSAGE_CHARS } from '../ucwa/messaging';
import type { Logger } from '../logger';
import { type ConversationRecord, type InvitationRecord, isInvitationId, type ReplyRecord, replyIdFor, type Repositories } from '../store';

export type ReplyResult =
  /** Sent to Skype; the pool's completed event tells delivered or failed (on the reply record). */
  | { kind: 'sent'; reply: ReplyRecord }
  /** This reply was claimed before (a retry or a second click): nothing sent again. */
  | { kind: 'duplicate'; reply: ReplyRecord }
  /** The conversation is over (or never was one): nothing sent. */
  | { kind: 'ended'; record?: InvitationRecord }
  | { kind: 'invalid'; why: 'empty' | 'tooLong' | 'badKey' }
  /** The pool refused or could not be reached; the text is kept on the reply record for the user to send again. */
  | { kind: 'failed'; reply: ReplyRecord; why: string };

export type LeaveResult = { kind: 'left'; record?: InvitationRecord } | { kind: 'ended'; record?: InvitationRecord } | { kind: 'failed'; why: string };

export class ConversationActions {
  constructor(
    private readonly repositories: Repositories,
    /** The messaging client of the account's running watcher, if it runs. */
    private readonly messagingOf: (accountId: string) => MessagingClient | undefined,
    private readonly log: Logger,
  ) {}

  /** The accepted conversation of an invitation, when it is still going on. */
  async active(invitationId: string): Promise<{ record: InvitationRecord; conversation: ConversationRecord } | undefined> {
    if (!isInvitationId(invitationId)) return undefined;
    const record = await this.repositories.invitations.get(invitationId);
    if (!record || record.state !== 'connected') return undefined;
    const conversation = await this.repositories.messages.conversationOfInvitation(record.accountId, invitationId);
    return conversation?.state === 'active' ? { record, conversation } : undefined;
  }

  /** The account's conversations still going on (for a message typed in the chat). */
  async activeOfAccount(accountId: string): Promise<InvitationRecord[]> {
    const out: InvitationRecord[] = [];
    for (const c of await this.repositories.messages.conversationsOfAccount(accountId)) {
      if (c.state !== 'active') continue;
      const record = await this.repositories.invitations.get(c.invitationId);
      if (record?.state === 'connected') out.push(record);
    }
    return out;
  }

  async reply(invitationId: string, replyKey: unknown, rawText: string): Promise<ReplyResult> {
    const text = rawText.trim();
    if (text === '') return { kind: 'invalid', why: 'empty' };
    if (text.length > MAX_OUTGOING_MESSAGE_CHARS) return { kind: 'invalid', why: 'tooLong' };
    const replyId = replyIdFor(invitationId, replyKey);
    if (!replyId) return { kind: 'invalid', why: 'badKey' };
    const live = await this.active(invitationId);
    if (!live?.conversation.sendMessageHref) return { kind: 'ended', record: live?.record ?? (await this.repositories.invitations.get(invitationId)) };
    const claim = await this.repositories.messages.claimReply({ id: replyId, invitationId, accountId: live.record.accountId, text });
    if (!claim.claimed) return { kind: 'duplicate', reply: claim.reply };
    const messaging = this.messagingOf(live.record.accountId);
    if (!messaging) return this.failed(claim.reply, 'Skype for Business is not connected right now');
    try {
      await messaging.send(live.conversation.sendMessageHref, text, replyId);
    } catch (err) {
      this.log.warn('a reply could not be sent', { invitation: invitationId, error: err as Error });
      return this.failed(claim.reply, err instanceof UcwaHttpError ? (err.reason?.message ?? `Skype answered ${err.status}`) : 'Skype for Business could not be reached');
    }
    const sent = (await this.repositories.messages.setReplyState(replyId, 'sent')) ?? claim.reply;
    await this.repositories.messages.updateConversation(live.record.accountId, live.conversation.conversationHref, (c) => ({ ...c, lastActivityAt: new Date().toISOString() }));
    return { kind: 'sent', reply: sent };
  }

  /** Leaves the conversation (the user's Leave, or the idle timer): stopMessaging, and the card says so at once. */
  async leave(invitationId: string, by: 'user' | 'idle'): Promise<LeaveResult> {
    const live = await this.active(invitationId);
    if (!live) return { kind: 'ended', record: isInvitationId(invitationId) ? await this.repositories.invitations.get(invitationId) : undefined };
    const { record, conversation } = live;
    await this.repositories.messages.updateConversation(record.accountId, conversation.conversationHref, (c) => (c.state === 'active' ? { ...c, state: 'leaving' } : undefined));
    const messaging = this.messagingOf(record.accountId);
    if (conversation.stopMessagingHref && messaging) {
      try {
        await messaging.stop(conversation.stopMessagingHref);
      } catch (err) {
        // 404/409: the pool has ended it already; anything else leaves it going on.
        if (!(err instanceof UcwaHttpError && (err.status === 404 || err.status === 409))) {
          await this.repositories.messages.updateConversation(record.accountId, conversation.conversationHref, (c) => (c.state === 'leaving' ? { ...c, state: 'active' } : undefined));
          return { kind: 'failed', why: 'Skype for Business could not be reached' };
        }
      }
    } else {
      return { kind: 'failed', why: 'Skype for Business is not connected right now' };
    }
    await this.repositories.messages.updateConversation(record.accountId, conversation.conversationHref, (c) => (c.state === 'ended' ? undefined : { ...c, state: 'ended', endedBy: by }));
    const moved = await this.repositories.invitations.apply(invitationId, { kind: 'conversationEnded', by });
    return { kind: 'left', record: moved.record };
  }

  /** Leaves the account's conversations without a message for `idleMs`; returns how many. */
  async leaveIdle(accountId: string, idleMs: number, now = new Date()): Promise<number> {
    let left = 0;
    for (const c of await this.repositories.messages.conversationsOfAccount(accountId)) {
      if (c.state !== 'active' || now.getTime() - Date.parse(c.lastActivityAt) < idleMs) continue;
      if ((await this.leave(c.invitationId, 'idle')).kind === 'left') left++;
    }
    return left;
  }

  private async failed(reply: ReplyRecord, why: string): Promise<ReplyResult> {
    return { kind: 'failed', reply: (await this.repositories.messages.setReplyState(reply.id, 'failed', why)) ?? reply, why };
  }
}
