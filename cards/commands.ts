// The chat commands, as the welcome and help cards list them, and the data of their buttons.

export type AuthMode = 'password' | 'oauth' | 'azure';

/** The verbs a welcome/help/status card button sends (Action.Submit data `{ verb }`); each matches a command. */
export const COMMAND_VERBS = ['help', 'status', 'connect', 'disconnect', 'demo'] as const;
export type CommandVerb = (typeof COMMAND_VERBS)[number];

/** All a command button's data holds. */
export interface CommandActionData {
  verb: CommandVerb;
}

export interface CommandLine {
  name: string;
  description: string;
}

/** The commands a user can type, in the order the cards list them; `demo` only in demo mode. */
export function commandList(options: { authMode: AuthMode; demo: boolean }): CommandLine[] {
  const commands: CommandLine[] = [
    { name: 'help', description: 'Show the commands' },
    { name: 'status', description: 'Your linked Skype account, the connection, the last event and open invitations' },
    {
      name: 'connect',
      description:
        options.authMode === 'oauth'
          ? 'Sign in to Skype for Business and start watching for invitations'
          : 'Start watching your Skype for Business account again',
    },
    { name: 'disconnect', description: 'Stop watching your Skype for Business account and forget the session' },
    {
      name: 'phone <number>',
      description: 'The number Skype calls ring when you answer them here, e.g. phone +1 425 555 0100 (phone alone shows it, phone clear removes it)',
    },
  ];
  if (options.demo) commands.push({ name: 'demo', description: 'Send yourself sample invitations (demo mode)' });
  return commands;
}

/** What the welcome and help cards are told about the user; the same shape for both. */
export interface AccountCardOptions {
  /** The linked Skype address (`sip:` optional), when the user's account is linked. */
  linkedSip?: string;
  authMode: AuthMode;
  /** Demo mode: offer the "Send me demo invitations" button and the `demo` command. */
  demo: boolean;
}

export interface LinkingText {
  linked: boolean;
  title: string;
  text: string;
  /** The "Sign in" button (`{ verb: 'connect' }`) is offered: OAuth mode and not linked yet. */
  showSignIn: boolean;
}

/** How the user's account gets (or is) linked, in the words of the current authentication mode. */
export function linkingText(options: AccountCardOptions, linkedAddress: string): LinkingText {
  if (linkedAddress) {
    return {
      linked: true,
      title: 'Your account is linked',
      text: `Skype for Business account: ${linkedAddress}. Invitations to it appear here.`,
      showSignIn: false,
    };
  }
  switch (options.authMode) {
    case 'oauth':
      return {
        linked: false,
        title: 'Your account is not linked yet',
        text: 'Select Sign in (or type connect) and sign in with your Skype for Business account. Invitations appear here from then on.',
        showSignIn: true,
      };
    case 'azure':
      return {
        linked: false,
        title: 'Your account is not linked yet',
        text: 'Your administrator links your Skype for Business account to this bot. Invitations appear here once that is done; there is nothing for you to sign in to.',
        showSignIn: false,
      };
    default:
      return {
        linked: false,
        title: 'Your account is not linked yet',
        text: "An administrator links your Teams account to your Skype for Business account in the bot's accounts file. Invitations appear here once that is done; there is nothing for you to sign in to.",
        showSignIn: false,
      };
  }
}
