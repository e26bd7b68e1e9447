// The welcome card, sent when the bot is installed: what it does, how the account gets linked, the commands.
import type { Attachment } from 'botbuilder';
import { cardAttachment } from './attachment';
import { commandList, linkingText, type AccountCardOptions, type CommandLine } from './commands';
import { defineTemplate, renderTemplate, type AdaptiveCardJson, type ContainerStyle } from './render';
import welcomeTemplateJson from './templates/welcome.json';
import { safeSipAddress } from './text';

export type WelcomeCardOptions = AccountCardOptions;

export interface WelcomeCardData {
  title: string;
  intro: string;
  account: { style: ContainerStyle; title: string; text: string };
  commands: CommandLine[];
  showSignIn: boolean;
  demo: boolean;
}

export const welcomeTemplate = defineTemplate<WelcomeCardData>('welcome', welcomeTemplateJson);

export function welcomeCardData(options: WelcomeCardOptions): WelcomeCardData {
  const linking = linkingText(options, safeSipAddress(options.linkedSip));
  return {
    title: 'Skype for Business invitations, here in Teams',
    intro:
      'When someone invites you in Skype for Business (to an online meeting, an IM or a call), I post a card ' +
      'here straight away: the subject, who is inviting, their message and how urgent it is. Accept or decline ' +
      'on the card, and it keeps showing where the invitation stands.',
    account: { style: linking.linked ? 'good' : 'warning', title: linking.title, text: linking.text },
    commands: commandList(options),
    showSignIn: linking.showSignIn,
    demo: options.demo,
  };
}

export function renderWelcomeCard(options: WelcomeCardOptions): AdaptiveCardJson {
  return renderTemplate(welcomeTemplate, welcomeCardData(options));
}

export function welcomeCardAttachment(options: WelcomeCardOptions): Attachment {
  return cardAttachment(renderWelcomeCard(options));
}
