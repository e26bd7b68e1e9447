// The question asked when a message typed in the chat could go to more than one accepted conversation: one button
// per conversation, each carrying the text (and one idempotency key) so a press sends it there once.
import type { Attachment } from 'botbuilder';
import { cardAttachment } from './attachment';
import { newReplyKey } from './invitation-card';
import type { AdaptiveCardJson } from './render';
import { cleanText, safeActionTitle, safeText } from './text';

export interface ReplyChoice {
  invitationId: string;
  /** How the user knows the conversation: its subject, else the sender. */
  label: string;
}

export function renderReplyChoiceCard(text: string, choices: ReplyChoice[], replyKey = newReplyKey()): AdaptiveCardJson {
  // The text goes back unchanged in the action data; the card shows it only as inert preview.
  const carried = cleanText(text, { maxLength: 8000, multiline: true, maxLines: 200 });
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    body: [
      { type: 'TextBlock', text: 'You are in more than one conversation. Where should this message go?', wrap: true, weight: 'bolder' },
      { type: 'TextBlock', text: safeText(text, { maxLength: 300, multiline: true }), wrap: true, isSubtle: true },
    ],
    actions: choices.map((choice) => {
      const data = { invitationId: choice.invitationId, verb: 'reply', replyKey, replyText: carried };
      const title = safeActionTitle(choice.label, 'Conversation');
      return { type: 'Action.Execute', title, verb: 'reply', data, fallback: { type: 'Action.Submit', title, data } };
    }),
  };
}

export function replyChoiceCardAttachment(text: string, choices: ReplyChoice[]): Attachment {
  return cardAttachment(renderReplyChoiceCard(text, choices));
}
