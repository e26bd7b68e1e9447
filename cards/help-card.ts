// The help card: the commands, where the account stands, and buttons for the common ones.
import type { Attachment } from 'botbuilder';
import { cardAttachment } from './attachment';
import { commandList, linkingText, type AccountCardOptions, type CommandLine } from './commands';
import { defineTemplate, renderTemplate, type AdaptiveCardJson } from './render';
import helpTemplateJson from './templates/help.json';
import { safeSipAddress } from './text';

export type HelpCardOptions = AccountCardOptions;

export interface HelpCardData {
  commands: CommandLine[];
  accountText: string;
  showSignIn: boolean;
  demo: boolean;
}

export const helpTemplate = defineTemplate<HelpCardData>('help', helpTemplateJson);

export function helpCardData(options: HelpCardOptions): HelpCardData {
  const linking = linkingText(options, safeSipAddress(options.linkedSip));
  return {
    commands: commandList(options),
    accountText: linking.linked ? linking.text : `${linking.title}. ${linking.text}`,
    showSignIn: linking.showSignIn,
    demo: options.demo,
  };
}

export function renderHelpCard(options: HelpCardOptions): AdaptiveCardJson {
  return renderTemplate(helpTemplate, helpCardData(options));
}

export function helpCardAttachment(options: HelpCardOptions): Attachment {
  return cardAttachment(renderHelpCard(options));
}
