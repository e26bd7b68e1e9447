// The conversations that accepted invitations became, as one account's event batches tell them: which invitation a
// conversation belongs to, its messaging links, the messages to relay to Teams (the invitation's first message, which
// the card already shows, is kept but not relayed), the outcome of replies sent from Teams, and the end of the
// conversation. The result goes into the batch's one storage write (see InvitationBook.record), so a message is
// stored before its batch is acknowledged.
import type { InvitationUpdate } from '../ucwa/invitation';
import { readConversationEvents } from '../ucwa/messaging';
import type { UcwaEvent } from '../ucwa/resource';
import { type ConversationBatch, type ConversationUpsert, invitationIdFor, type MessageUpsert, type Repositories } from '../store';

interface Known {
  invitationId: string;
  /** The invitation's first message (shown on its card). */
  firstMessage?: string;
  /** Whether an incoming message was already seen (stored, or earlier in this batch). */
  sawIncoming: boolean;
}

export interface ConversationBatchResult {
  batch: ConversationBatch;
  /** Conversations this batch ended (their invitations move to conversationEnded once it is stored). */
  ended: string[];
  /** Outcomes of replies sent from Teams (by the operationId they were sent with). */
  replyOutcomes: Array<{ replyId: string; delivered: boolean; failure?: string }>;
}

export class ConversationTracker {
  constructor(
    private readonly accountId: string,
    private readonly repositories: Repositories,
  ) {}

  async read(events: ReadonlyArray<{ senderHref?: string; senderRel?: string; event: UcwaEvent }>, base: URL, updates: readonly InvitationUpdate[]): Promise<ConversationBatchResult> {
    const result: ConversationBatchResult = { batch: { conversations: [], messages: [] }, ended: [], replyOutcomes: [] };
    const conversationEvents = readConversationEvents(events, base);
    if (conversationEvents.length === 0) return result;
    const fromBatch = new Map<string, InvitationUpdate>();
    for (const u of updates) if (u.invitation.conversationHref) fromBatch.set(u.invitation.conversationHref, u);
    const known = new Map<string, Known | undefined>();
    const lookup = async (href: string): Promise<Known | undefined> => {
      if (!known.has(href)) known.set(href, await this.find(href, fromBatch.get(href)));
      return known.get(href);
    };
    const upsert = (href: string, k: Known, extra: Partial<ConversationUpsert>) =>
      result.batch.conversations!.push({ invitationId: k.invitationId, accountId: this.accountId, conversationHref: href, ...extra });
    for (const e of conversationEvents) {
      if (e.kind === 'message' && e.direction === 'Outgoing') {
        if (e.type === 'completed' && e.operationId) result.replyOutcomes.push({ replyId: e.operationId, delivered: e.status === 'Success', failure: e.status === 'Success' ? undefined : (e.reason?.message ?? e.reason?.subcode ?? e.reason?.code ?? 'not delivered') });
        continue;
      }
      const k = await lookup(e.conversationHref);
      if (!k) continue;
      switch (e.kind) {
        case 'message': {
          if (e.type !== 'completed' || e.status !== 'Success' || !e.text) break;
          const message: MessageUpsert = { invitationId: k.invitationId, accountId: this.accountId, messageHref: e.href, authorName: e.author.name, text: e.text };
          if (!k.sawIncoming && k.firstMessage !== undefined && k.firstMessage === e.text) message.suppressed = 'firstMessage';
          k.sawIncoming = true;
          result.batch.messages!.push(message);
          upsert(e.conversationHref, k, { sawIncomingMessage: true });
          break;
        }
        case 'messagingState':
          if (e.state === 'Connected') upsert(e.conversationHref, k, { sendMessageHref: e.sendMessageHref, stopMessagingHref: e.stopMessagingHref });
          else if (e.state === 'Disconnected') this.end(result, e.conversationHref, k, upsert);
          break;
        case 'participantLeft':
        case 'conversationEnded':
          this.end(result, e.conversationHref, k, upsert);
          break;
        case 'typing':
          // The remote typing may show as a Teams typing indicator later; nothing is stored for it.
          break;
      }
    }
    return result;
  }

  private end(result: ConversationBatchResult, href: string, k: Known, upsert: (href: string, k: Known, extra: Partial<ConversationUpsert>) => void): void {
    if (result.ended.includes(href)) return;
    result.ended.push(href);
    upsert(href, k, { endedBy: 'remote' });
  }

  /** The invitation of a conversation: from this batch's invitation events, else from what is stored. */
  private async find(href: string, update: InvitationUpdate | undefined): Promise<Known | undefined> {
    const stored = await this.repositories.messages.conversation(this.accountId, href);
    if (update && update.complete) {
      return { invitationId: invitationIdFor(this.accountId, update.invitation.href), firstMessage: update.invitation.message, sawIncoming: stored?.sawIncomingMessage === true };
    }
    const record = stored
      ? await this.repositories.invitations.get(stored.invitationId)
      : (await this.repositories.invitations.listOpenForAccount(this.accountId)).find((r) => r.ucwaConversationHref === href);
    if (!record) return undefined;
    return { invitationId: record.id, firstMessage: record.message, sawIncoming: stored?.sawIncomingMessage === true };
  }
}
