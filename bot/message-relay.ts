// Posts the remote side's messages of accepted conversations into the user's chat, each as its own message that says
// who wrote it and in which conversation, in the order they arrived. A message record and its relay entry were
// stored together with their event batch; an entry is removed once Teams has the message, so every message is
// posted once. The one gap, as for cards: a process that stops while Teams holds the POST. The post is noted on the
// record first, and the next process posts it again marked as possibly repeated rather than lose it.
import { type Activity, type ConversationReference } from 'botbuilder';
import { cleanText, escapeMarkdown, safeName, safeSubject } from '../cards/text';
import type { Logger } from '../src/logger';
import type { InvitationRecord, MessageRecord, Repositories } from '../src/store';
import { SenderClosedError } from './proactive-sender';
import { DrainLoop } from './drain-loop';

/** How much of a remote message is shown; the rest is cut with a marker that says so. */
export const RELAYED_MESSAGE_LIMITS = { maxLength: 2_000, maxLines: 40 };

export interface RelayDeps {
  repositories: Repositories;
  /** The user's chat with the bot, when the app is installed and active. */
  installationOf(accountId: string): Promise<{ active: boolean; reference: Partial<ConversationReference> } | undefined>;
  /** Posts through the app's one sender (spacing and rate limits shared with the cards). */
  post(reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<string>;
  log: Logger;
}

/** The chat text of one relayed message: author and conversation, then the message, all of it made inert. */
export function relayedMessageText(message: Pick<MessageRecord, 'authorName' | 'text'>, invitation: Pick<InvitationRecord, 'subject' | 'from'>, repeated = false): string {
  const author = safeName(message.authorName ?? invitation.from.name ?? invitation.from.uri ?? '') || 'Someone';
  const where = safeSubject(invitation.subject) || safeName(invitation.from.name ?? '') || 'Skype for Business';
  const cleaned = cleanText(message.text, { maxLength: RELAYED_MESSAGE_LIMITS.maxLength, multiline: true, maxLines: RELAYED_MESSAGE_LIMITS.maxLines });
  const shortened = cleaned.length < message.text.trim().length && (cleaned.endsWith('\u2026') || cleaned.split('\n').length >= RELAYED_MESSAGE_LIMITS.maxLines);
  const lines = cleaned === '' ? ['(empty message)'] : cleaned.split('\n').map(escapeMarkdown);
  const parts = [`**${author}** in *${where}*:`, ...lines];
  if (shortened) parts.push(`_(message shortened: only the first ${RELAYED_MESSAGE_LIMITS.maxLength} characters are shown)_`);
  if (repeated) parts.push('_(sent again after a restart: you may see this message twice)_');
  // One paragraph per line, so every client keeps the line breaks.
  return parts.join('\n\n');
}

export class MessageRelay {
  private readonly loop: DrainLoop;

  constructor(private readonly deps: RelayDeps) {
    this.loop = new DrainLoop(() => this.drainOnce(), (error) => this.deps.log.error('could not read the messages waiting for Teams', { error }));
  }

  kick(): Promise<void> {
    return this.loop.kick();
  }

  start(intervalMs = 5_000): void {
    this.loop.start(intervalMs);
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  private async drainOnce(): Promise<void> {
    const { repositories } = this.deps;
    // A conversation whose earlier message could not go yet holds its later ones back: order is kept per chat.
    const held = new Set<string>();
    for (const { key, relay } of await repositories.messages.pendingRelays()) {
      if (this.loop.stopped) return;
      if (held.has(relay.invitationId)) continue;
      try {
        if (!(await this.deliver(key, relay.messageId, relay.invitationId))) held.add(relay.invitationId);
      } catch (err) {
        if (err instanceof SenderClosedError) return;
        held.add(relay.invitationId);
        this.deps.log.warn('could not relay a message to Teams', { invitation: relay.invitationId, error: err as Error });
      }
    }
  }

  /** True when the entry is done with (posted, or undeliverable); false when it must wait. */
  private async deliver(key: string, messageId: string, invitationId: string): Promise<boolean> {
    const { repositories } = this.deps;
    const message = await repositories.messages.message(messageId);
    const invitation = await repositories.invitations.get(invitationId);
    if (!message || !invitation) {
      await repositories.messages.dropRelay(key);
      return true;
    }
    // Right after the invitation's card: the card goes first.
    if (!invitation.teamsActivityId) return false;
    const installation = await this.deps.installationOf(invitation.accountId);
    if (!installation?.active) {
      this.deps.log.info('a message for a user without an active installation; not relayed', { invitation: invitationId });
      await repositories.messages.dropRelay(key);
      return true;
    }
    if (message.teamsActivityId) {
      await repositories.messages.dropRelay(key);
      return true;
    }
    const marked = await repositories.messages.markPosting(messageId);
    const repeated = marked?.earlierPostStartedAt !== undefined;
    const activityId = await this.deps.post(installation.reference, { type: 'message', textFormat: 'markdown', text: relayedMessageText(message, invitation, repeated) });
    await repositories.messages.setRelayed(messageId, key, activityId);
    return true;
  }
}
