// A rendered card as a Bot Framework attachment.
import { CardFactory, type Attachment } from 'botbuilder';
import type { AdaptiveCardJson } from './render';

export function cardAttachment(card: AdaptiveCardJson): Attachment {
  return CardFactory.adaptiveCard(card);
}
