// The Teams side of the product: installation tracking, commands, the Accept/Decline card actions and the Reply/Leave
// actions of an accepted IM (Action.Execute invokes and Action.Submit messages), and typed messages that continue
// an accepted IM. Each handler is a small method so it is easy to follow and
// to override.
import { createHash } from 'node:crypto';
import {
  AdaptiveCardInvokeResponse,
  AdaptiveCardInvokeValue,
  Attachment,
  InvokeException,
  MessageFactory,
  SigninStateVerificationQuery,
  TeamsActivityHandler,
  TeamsInfo,
  TokenExchangeInvokeRequest,
  TurnContext,
} from 'botbuilder';
import type { Logger } from '../src/logger';
import {
  type AccountId,
  accountIdOf,
  callPhoneNumber,
  InvitationRecord,
  isInvitationId,
  maskPhoneNumber,
  parsePhoneNumber,
  type PhoneNumber,
  Repositories,
  storedAccountId,
  StoreUnavailableError,
} from '../src/store';
import type { ActResult, AccountStatusView, ReplyResult, WatcherSupervisor } from '../src/watcher';
import type { Installation, TeamsInstallations } from './installations';
import type { SignInPrompter } from './sign-in-prompter';
import type { UserTokens } from './user-tokens';
import type { WatchManager } from './watch-manager';

export interface StatusCardData {
  linkedSip?: string;
  state: AccountStatusView['state'] | 'notLinked' | 'paused';
  lastEventAt?: string;
  lastError?: string;
  openInvitations: Array<{ subject?: string; kind: InvitationRecord['kind']; from?: string }>;
  /** The store refuses writes: nothing can be recorded, so no invitation can arrive until it works again. */
  storeRefusesWrites?: boolean;
}

/**
 * How an invitation card is drawn for its invitee: `notice`, a line for the person who just clicked; `timeZone`, the
 * user's IANA zone (Teams' localTimezone) for the times on the card; `inviteeTeamsId`, the invitee's Teams user id,
 * for whom the card refreshes itself whenever it is shown; `phoneNumber`, the number stored on the installation that
 * a call is answered on (without one, a call cannot be accepted from Teams).
 */
export interface InvitationCardView {
  notice?: string;
  timeZone?: string;
  inviteeTeamsId?: string;
  phoneNumber?: string;
  /** Text to put back into the Reply box (a reply that was not sent). */
  draft?: string;
}

/** One accepted conversation a typed message could go to. */
export interface ConversationChoice {
  invitationId: string;
  label: string;
}

/** Card rendering, injected so the bot does not depend on how the cards are built. */
export interface BotCards {
  invitation(record: InvitationRecord, options?: InvitationCardView): Attachment;
  welcome(data: { linkedSip?: string; demo: boolean }): Attachment;
  help(data: { linkedSip?: string; demo: boolean }): Attachment;
  status(data: StatusCardData): Attachment;
  /** Asks which conversation a typed message goes to: one button each, carrying the text. */
  replyChoice(text: string, choices: ConversationChoice[]): Attachment;
}

/** The local demo's extra command (absent outside demo mode). */
export interface DemoHooks {
  /**
   * Sends the demo invitations when the user's demo account is connected (else 0, nothing sent). `announce` runs
   * first and is awaited, so the chat says what is coming before the first card can arrive.
   */
  sendDemoInvitations(aadObjectId: AccountId, upn: string | undefined, announce: (count: number) => Promise<void>): Promise<number>;
}

export interface BotServices {
  repositories: Repositories;
  installations: TeamsInstallations;
  supervisor: WatcherSupervisor;
  watches: WatchManager;
  cards: BotCards;
  log: Logger;
  demo?: DemoHooks;
  /** UCWA_AUTH=oauth: each user signs in from the chat through the Azure Bot OAuth connection. */
  signIn?: { tokens: UserTokens; prompter: SignInPrompter };
  /** Whether the store accepts writes (the status card says so when it does not). */
  storeHealth?: { readonly writable: boolean };
  /** What this instance owns of the shared accounts (partitions and accounts), shown under the status card. */
  ownership?: () => string;
  /** How long an invoke may wait for UCWA before it answers with the in-progress card (Teams allows a few seconds). */
  invokeBudgetMs?: number;
}

type Verb = 'accept' | 'decline';
type ConversationVerb = 'reply' | 'leave';

export type CardActionResult =
  | { ok: true; card: Attachment; record: InvitationRecord; note?: string }
  | { ok: false; status: 400 | 403 | 404; code: string; message: string };

const COMMANDS = ['help', 'status', 'connect', 'disconnect', 'demo', 'phone'] as const;

/** The Teams user who sent the activity, as an AccountId: the edge where a Teams user id enters the product. */
export function senderOf(context: TurnContext): AccountId | undefined {
  return accountIdOf(context.activity.from?.aadObjectId);
}

export class InvitationBot extends TeamsActivityHandler {
  constructor(private readonly services: BotServices) {
    super();
    this.onInstallationUpdateAdd(async (context, next) => {
      await this.handleInstall(context);
      await next();
    });
    this.onInstallationUpdateRemove(async (context, next) => {
      await this.handleUninstall(context);
      await next();
    });
    this.onMessage(async (context, next) => {
      await this.handleMessage(context);
      await next();
    });
  }

  // ------------------------------------------------------------------------------------------- installation

  protected async handleInstall(context: TurnContext): Promise<void> {
    const installation = await this.rememberUser(context);
    if (!installation) return;
    const decision = await this.services.watches.ensure(installation);
    // An app upgrade (add-upgrade) refreshes the reference quietly: the user has had the welcome already.
    if (context.activity.action === 'add-upgrade') return;
    const linkedSip = decision === 'notLinked' ? undefined : this.services.watches.linkedSip(installation, installation.aadObjectId);
    await context.sendActivity(MessageFactory.attachment(this.services.cards.welcome({ linkedSip, demo: !!this.services.demo })));
  }

  protected async handleUninstall(context: TurnContext): Promise<void> {
    const aad = senderOf(context);
    // Removing the app from a group chat or team says nothing about the user's personal chat, which is the only
    // installation this bot tracks: only a personal removal stops delivery and watching.
    if (!aad || !this.isPersonal(context)) return;
    // botbuilder routes 'remove-upgrade' here too: an app upgrade is not a removal, the add-upgrade that follows it
    // keeps the installation, so watching must not stop (and delete the Skype application) in between.
    if (context.activity.action === 'remove-upgrade') return;
    await this.services.installations.update(aad, { active: false });
    await this.services.watches.stop(aad);
    this.services.log.info('bot removed; stopped watching', { user: aad });
  }

  /** Stores (refreshes) the conversation reference of the user who wrote; resolves their UPN once. */
  protected async rememberUser(context: TurnContext) {
    const from = context.activity.from;
    const aad = senderOf(context);
    // Cards go to the user's personal chat only: a group chat or channel must never become their delivery address.
    if (!aad || !this.isPersonal(context)) return undefined;
    const existing = await this.services.installations.get(aad);
    let upn = existing?.upn;
    if (!upn) {
      try {
        upn = accountIdOf((await TeamsInfo.getMember(context, from.id)).userPrincipalName);
      } catch (err) {
        this.services.log.warn('could not look up the user principal name', { user: aad, error: err as Error });
      }
    }
    try {
      return await this.services.installations.saveReference(aad, TurnContext.getConversationReference(context.activity), { upn, name: from.name, timeZone: context.activity.localTimezone });
    } catch (err) {
      // The store refuses writes (StoreHealth logs that): answer the user from what is stored, so that `status`
      // can still say what is wrong.
      if (!(err instanceof StoreUnavailableError)) throw err;
      return existing;
    }
  }

  private isPersonal(context: TurnContext): boolean {
    const type = context.activity.conversation?.conversationType;
    return type === undefined || type === 'personal';
  }

  protected async sendHelp(context: TurnContext, installation?: Installation): Promise<void> {
    const aad = senderOf(context);
    // The help card says whether the account is linked, so it needs the linked address (without it the card told
    // every user, linked or not, that their account was not linked yet).
    const linkedSip = aad ? this.services.watches.linkedSip(installation ?? (await this.services.installations.get(aad)), aad) : undefined;
    await context.sendActivity(MessageFactory.attachment(this.services.cards.help({ linkedSip, demo: !!this.services.demo })));
  }

  // ---------------------------------------------------------------------------------------------- messages

  protected async handleMessage(context: TurnContext): Promise<void> {
    const installation = await this.rememberUser(context);
    const value = context.activity.value as Record<string, unknown> | undefined;
    if (value && typeof value === 'object' && typeof value.verb === 'string') return this.handleSubmit(context, value);
    const text = (context.activity.text ?? '').replace(/<at>.*?<\/at>/gi, '').trim();
    const [word = '', ...rest] = text.split(/\s+/);
    const command = COMMANDS.find((c) => c === word.toLowerCase() && (c === 'phone' || rest.length === 0));
    if (installation) await this.services.watches.ensure(installation);
    switch (command) {
      case 'phone':
        return this.handlePhone(context, rest.join(' '));
      case 'status':
        return this.handleStatus(context);
      case 'connect':
        return this.handleConnect(context);
      case 'disconnect':
        return this.handleDisconnect(context);
      case 'demo':
        if (this.services.demo) return this.handleDemo(context);
        break;
    }
    if (!command && text !== '' && this.isPersonal(context) && (await this.handleTypedReply(context, text))) return;
    await this.sendHelp(context, installation);
  }

  /**
   * A message typed in the chat that is not a command continues the user's accepted conversation: sent when exactly
   * one is going on, a question with one button each when several are; false (help as before) when there is none.
   */
  protected async handleTypedReply(context: TurnContext, text: string): Promise<boolean> {
    const aad = senderOf(context);
    if (!aad) return false;
    const conversations = this.services.supervisor.conversations;
    const active = await conversations.activeOfAccount(aad);
    if (active.length === 0) return false;
    const choices = active.map((r) => ({ invitationId: r.id, label: conversationLabel(r) }));
    if (choices.length > 1) {
      await context.sendActivity(MessageFactory.attachment(this.services.cards.replyChoice(text, choices)));
      return true;
    }
    const [only] = choices;
    // Teams sends a retried message with the same activity id: the key it gives is the same, so it is sent once.
    const result = await conversations.reply(only.invitationId, typedReplyKey(context), text);
    await context.sendActivity(typedReplyAnswer(result, only.label, text));
    return true;
  }

  protected async handleStatus(context: TurnContext): Promise<void> {
    // The status card lists the user's open invitations (subjects, senders): not for the other members of a group.
    if (!this.isPersonal(context)) return void (await context.sendActivity('I show your status only in our personal chat.'));
    const aad = senderOf(context);
    if (!aad) return this.sendHelp(context);
    const installation = await this.services.installations.get(aad);
    const sip = this.services.watches.linkedSip(installation, aad);
    const status = this.services.supervisor.status(aad);
    // "Open" for the user means still waiting for an answer, not a meeting already joined.
    const waiting = new Set(['pending', 'accepting', 'declining', 'inLobby']);
    const open = sip ? (await this.services.repositories.invitations.listOpenForAccount(aad)).filter((r) => waiting.has(r.state)) : [];
    const state: StatusCardData['state'] = !sip ? 'notLinked' : installation?.paused ? 'paused' : (status?.state ?? 'stopped');
    await context.sendActivity(
      MessageFactory.attachment(
        this.services.cards.status({
          linkedSip: sip,
          state,
          lastEventAt: status?.lastEventAt,
          lastError: status?.lastError,
          openInvitations: open.map((r) => ({ subject: r.subject, kind: r.kind, from: r.from.name ?? r.from.uri })),
          storeRefusesWrites: this.services.storeHealth?.writable === false,
        }),
      ),
    );
    if (this.services.ownership) await context.sendActivity(`This bot instance holds ${this.services.ownership()}.`);
  }

  protected async handleConnect(context: TurnContext): Promise<void> {
    if (this.services.signIn) return this.connectWithSignIn(context, this.services.signIn.tokens);
    const aad = senderOf(context);
    const installation = aad && (await this.services.installations.update(aad, { paused: false }));
    const decision = installation ? await this.services.watches.ensure(installation) : 'inactive';
    const text =
      decision === 'watching'
        ? 'Connected: I am watching your Skype for Business account and will post invitations here.'
        : decision === 'notLinked'
          ? 'Your Teams account is not linked to a Skype for Business account yet. Ask your administrator to add you to the accounts file.'
          : 'I could not start watching your account.';
    await context.sendActivity(text);
  }

  protected async handleDisconnect(context: TurnContext): Promise<void> {
    const aad = senderOf(context);
    if (!aad) return;
    await this.services.installations.update(aad, { paused: true, ...(this.services.signIn ? { signedIn: false } : {}) });
    // Watching stops first: signing the UCWA application out still needs the user's token.
    await this.services.watches.stop(aad);
    if (this.services.signIn) {
      await this.services.signIn.tokens.signOut(context);
      await context.sendActivity('Signed out: I stopped watching your Skype for Business account and forgot your sign-in. Say "connect" to sign in again.');
      return;
    }
    await context.sendActivity('Disconnected: I stopped watching your Skype for Business account. Say "connect" to start again.');
  }

  /**
   * `phone <number>` stores the number calls are answered on (it wins over the accounts file's), `phone` shows it,
   * `phone clear` removes it. The watcher follows the stored number (WatchManager.ensure); cards read it from the
   * installation. The number is shown only to its owner, in the personal chat, and never logged whole.
   */
  protected async handlePhone(context: TurnContext, argument: string): Promise<void> {
    if (!this.isPersonal(context)) return void (await context.sendActivity('I keep your phone number only in our personal chat: say "phone" there.'));
    const aad = senderOf(context);
    const installation = aad && (await this.services.installations.get(aad));
    if (!aad || !installation) return void (await context.sendActivity('I cannot store a phone number for you just now. Please try again.'));
    const wanted = argument.trim();
    if (wanted === '') return void (await context.sendActivity(phoneNumberText(installation)));
    let phoneNumber: PhoneNumber | undefined;
    if (wanted.toLowerCase() !== 'clear') {
      const parsed = parsePhoneNumber(wanted);
      if (!parsed.ok) return void (await context.sendActivity(`That is not a phone number I can use: ${parsed.problem} For example: phone +1 425 555 0100`));
      phoneNumber = parsed.number;
    }
    const updated = await this.services.installations.update(aad, { phoneNumber });
    if (!updated) return void (await context.sendActivity('I cannot store a phone number for you just now. Please try again.'));
    this.services.log.info(phoneNumber ? 'user set the phone number for calls' : 'user removed the phone number for calls', {
      user: aad,
      phone: phoneNumber ? maskPhoneNumber(phoneNumber) : '(none)',
    });
    await this.services.watches.ensure(updated);
    await context.sendActivity(phoneNumber ? `Saved. ${phoneNumberText(updated)}` : `Removed. ${phoneNumberText(updated)}`);
  }

  // ------------------------------------------------------------------------------------- sign-in (oauth mode)

  /** `connect` in oauth mode: already signed in (the token service has a token) -> watch; else the OAuth card. */
  protected async connectWithSignIn(context: TurnContext, tokens: UserTokens): Promise<void> {
    // The sign-in belongs to the user's personal chat: a card in a group would be pressed by the wrong people.
    if (!senderOf(context) || !this.isPersonal(context)) return void (await context.sendActivity('Sign in from our personal chat.'));
    if (await tokens.hasToken(context)) return this.completeSignIn(context);
    await tokens.sendSignInCard(context, 'Sign in with your work account so that I can watch your Skype for Business account and post your invitations here.');
  }

  /** `signin/verifyState`: the OAuth card's sign-in finished; the magic code redeems it at the token service. */
  protected override async handleTeamsSigninVerifyState(context: TurnContext, query: SigninStateVerificationQuery): Promise<void> {
    const signIn = this.services.signIn;
    if (!signIn) throw new Error('NotImplemented');
    await this.rememberUser(context);
    if (!query?.state || !(await signIn.tokens.hasToken(context, query.state))) {
      this.services.log.warn('sign-in not completed', { user: context.activity.from?.aadObjectId });
      await context.sendActivity('That sign-in did not complete. Say "connect" to try again.');
      throw new InvokeException(404);
    }
    await this.completeSignIn(context);
  }

  /** `signin/tokenExchange` (Teams SSO): 412 tells Teams to fall back to the card's Sign in button. */
  protected override async handleTeamsSigninTokenExchange(context: TurnContext, value: SigninStateVerificationQuery): Promise<void> {
    const signIn = this.services.signIn;
    if (!signIn) throw new Error('NotImplemented');
    // botbuilder types both sign-in invokes' values alike; this one carries a TokenExchangeInvokeRequest.
    const query = value as unknown as Partial<TokenExchangeInvokeRequest> | undefined;
    await this.rememberUser(context);
    const ok = !!query?.token && query.connectionName === signIn.tokens.connection && (await signIn.tokens.exchange(context, query.token));
    if (!ok) throw new InvokeException(412, { id: query?.id, connectionName: signIn.tokens.connection, failureDetail: 'The token could not be exchanged.' });
    await this.completeSignIn(context);
  }

  /** Signed in: remember it, watch (retrying at once a watcher that was waiting for this), and say so. */
  protected async completeSignIn(context: TurnContext): Promise<void> {
    const aad = senderOf(context);
    if (!aad) return;
    this.services.signIn?.prompter.reset(aad);
    const installation = await this.services.installations.update(aad, { signedIn: true, paused: false });
    const decision = installation ? await this.services.watches.ensure(installation) : 'inactive';
    if (this.services.supervisor.status(aad)?.state === 'authFailed') this.services.supervisor.retryNow(aad);
    const sip = this.services.watches.linkedSip(installation, aad);
    this.services.log.info('user signed in', { user: aad, decision });
    await context.sendActivity(
      decision === 'watching'
        ? `Signed in: I am watching your Skype for Business account ${sip?.slice(4) ?? ''} and will post invitations here.`
        : 'You are signed in, but I could not find your Teams user name to know your Skype for Business address. Please try again later.',
    );
  }

  protected async handleDemo(context: TurnContext): Promise<void> {
    const aad = senderOf(context);
    if (!aad) return;
    const installation = await this.services.installations.get(aad);
    const announce = async (count: number) => {
      await context.sendActivity(`Sending you ${count} demo invitations from the simulated Skype for Business pool.`);
    };
    const n = await this.services.demo!.sendDemoInvitations(aad, installation?.upn, announce);
    this.services.log.info('bot sent demo invitations', { count: n });
    if (n === 0) await context.sendActivity('Your demo account is not connected yet; try again in a moment.');
  }

  // ------------------------------------------------------------------------------------------ card actions

  /** Action.Execute (Teams): answer with the updated card within the invoke window. */
  protected override async onAdaptiveCardInvoke(context: TurnContext, invokeValue: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    const action = invokeValue?.action;
    const data = (action?.data ?? {}) as Record<string, unknown>;
    const verb = action?.verb ?? (data.verb as string | undefined);
    let result: CardActionResult;
    try {
      result = await this.cardAction(context, verb, data);
    } catch (error) {
      // Without an answer Teams waits out the invoke and says only "something went wrong"; say that it can be retried.
      this.services.log.error('card action failed', { error: error as Error, verb, user: context.activity.from?.aadObjectId });
      return { statusCode: 500, type: 'application/vnd.microsoft.error', value: { code: 'InternalError', message: 'Something went wrong on my side. Please try again.' } as never };
    }
    if (!result.ok) {
      return { statusCode: result.status, type: 'application/vnd.microsoft.error', value: { code: result.code, message: result.message } as never };
    }
    return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: result.card.content as never };
  }

  /** Action.Submit (fallback, other channels): a message with `value`; the card is updated in place. */
  protected async handleSubmit(context: TurnContext, value: Record<string, unknown>): Promise<void> {
    const verb = value.verb as string;
    if (verb === 'demo' && this.services.demo) return this.handleDemo(context);
    if (verb === 'connect') return this.handleConnect(context);
    if (verb === 'status') return this.handleStatus(context);
    if (verb === 'disconnect') return this.handleDisconnect(context);
    if (verb === 'help') return this.sendHelp(context);
    const result = await this.cardAction(context, verb, value);
    if (!result.ok) {
      await context.sendActivity(result.message);
      return;
    }
    const replyToId = context.activity.replyToId;
    if (replyToId) {
      await context.updateActivity({ ...MessageFactory.attachment(result.card), id: replyToId, conversation: context.activity.conversation, type: 'message' });
    } else {
      await context.sendActivity(MessageFactory.attachment(result.card));
    }
  }

  /**
   * The one place Accept/Decline is decided: the card carries only an opaque id; the clicking user must be the
   * invitee; the store's eTag-guarded move makes sure only one click reaches UCWA.
   */
  protected async cardAction(context: TurnContext, verb: string | undefined, data: Record<string, unknown>): Promise<CardActionResult> {
    const invitationId = data.invitationId;
    if (verb === 'refresh') return this.refreshCard(context, invitationId);
    if (verb !== 'accept' && verb !== 'decline' && verb !== 'reply' && verb !== 'leave') {
      return { ok: false, status: 400, code: 'BadRequest', message: 'This card action is not recognised.' };
    }
    const checked = await this.inviteeRecord(context, invitationId);
    if ('ok' in checked) return checked;
    const { record } = checked;
    if (verb === 'reply' || verb === 'leave') return this.conversationAction(context, verb, record, data);
    const repo = this.services.repositories.invitations;
    const result = await this.actWithinBudget(record.id, verb);
    // Every other view of the card (other devices) follows through the notifier: each move queued its card.
    const current = (await repo.get(record.id)) ?? record;
    const note =
      result.kind === 'failed'
        ? 'I could not reach Skype for Business just now. Please try again.'
        : result.kind === 'notOffered'
          ? 'This invitation cannot be answered from Teams; answer it in Skype for Business.'
          : undefined;
    // The note travels on the card the clicker gets back (an invoke answer has no room for a separate message).
    return { ok: true, card: await this.currentCard(context, current, note), record: current, note };
  }

  /** The invitation a card action names, if the clicking user is its invitee; else the refusal to answer with. */
  private async inviteeRecord(context: TurnContext, invitationId: unknown): Promise<{ record: InvitationRecord } | Extract<CardActionResult, { ok: false }>> {
    if (!isInvitationId(invitationId)) return { ok: false, status: 400, code: 'BadRequest', message: 'This card is not valid.' };
    const record = await this.services.repositories.invitations.get(invitationId);
    if (!record) return { ok: false, status: 404, code: 'NotFound', message: 'This invitation is not known (any more).' };
    const clicker = senderOf(context);
    if (!clicker || clicker !== record.accountId) {
      this.services.log.warn('card action by someone other than the invitee refused', { invitation: record.id, user: clicker ?? '(none)' });
      return { ok: false, status: 403, code: 'Forbidden', message: 'Only the person this invitation is for can answer it.' };
    }
    return { record };
  }

  /**
   * Reply (the text of the card's input, sent once per the card's idempotency key) and Leave in an accepted IM. The
   * answer is the current card with a line on the outcome; a reply that was not sent goes back into the input.
   */
  protected async conversationAction(context: TurnContext, verb: ConversationVerb, record: InvitationRecord, data: Record<string, unknown>): Promise<CardActionResult> {
    const conversations = this.services.supervisor.conversations;
    let note: string | undefined;
    let draft: string | undefined;
    if (verb === 'leave') {
      const left = await conversations.leave(record.id, 'user');
      note = left.kind === 'failed' ? `I could not leave the conversation: ${left.why}. Please try again.` : left.kind === 'ended' ? 'This conversation had already ended.' : undefined;
    } else {
      const text = typeof data.replyText === 'string' ? data.replyText : '';
      const result = await conversations.reply(record.id, data.replyKey, text);
      ({ note, draft } = cardReplyOutcome(result, text));
    }
    const current = (await this.services.repositories.invitations.get(record.id)) ?? record;
    return { ok: true, card: await this.currentCard(context, current, note, draft), record: current, note };
  }

  /**
   * `refresh` (Teams asks whenever the invitee looks at a copy of the card): the card as it is now, so that every
   * copy, including one the bot lost track of, shows the current state and buttons. Nothing reaches UCWA. Only the
   * invitee gets an answer: anyone else is refused as for a click (403) and sees the copy as it was posted, whose
   * buttons refuse them too; the invitation's later changes are not theirs to read.
   */
  protected async refreshCard(context: TurnContext, invitationId: unknown): Promise<CardActionResult> {
    if (!isInvitationId(invitationId)) return { ok: false, status: 400, code: 'BadRequest', message: 'This card is not valid.' };
    const record = await this.services.repositories.invitations.get(invitationId);
    if (!record) return { ok: false, status: 404, code: 'NotFound', message: 'This invitation is not known (any more).' };
    if (senderOf(context) !== record.accountId) {
      this.services.log.info('card refresh by someone other than the invitee refused', { invitation: record.id });
      return { ok: false, status: 403, code: 'Forbidden', message: 'Only the person this invitation is for can see it.' };
    }
    return { ok: true, card: await this.currentCard(context, record), record };
  }

  /** The invitation card for the invitee who is acting now (their time zone; refreshing itself for them). */
  private async currentCard(context: TurnContext, record: InvitationRecord, notice?: string, draft?: string): Promise<Attachment> {
    const installation = await this.services.installations.get(storedAccountId(record.accountId));
    const timeZone = context.activity.localTimezone ?? installation?.timeZone;
    return this.services.cards.invitation(record, { notice, timeZone, inviteeTeamsId: context.activity.from?.id, phoneNumber: callPhoneNumber(installation), draft });
  }

  /** UCWA usually answers at once; if not, answer Teams with the in-progress card and let the action finish. */
  private async actWithinBudget(invitationId: string, verb: Verb): Promise<ActResult | { kind: 'inProgress'; record?: InvitationRecord }> {
    const budget = this.services.invokeBudgetMs ?? 4_000;
    const act = this.services.supervisor.act(invitationId, verb);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<{ kind: 'inProgress' }>((resolve) => (timer = setTimeout(() => resolve({ kind: 'inProgress' }), budget)));
    try {
      return await Promise.race([act, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What the `phone` command says about the number calls ring (to its owner only). */
export function phoneNumberText(installation: Pick<Installation, 'phoneNumber' | 'linkedPhoneNumber'>): string {
  if (installation.phoneNumber) return `Calls you answer here ring ${installation.phoneNumber}. Say "phone clear" to remove it.`;
  if (installation.linkedPhoneNumber) {
    return `Calls you answer here ring ${installation.linkedPhoneNumber}, the number your administrator set. Say "phone <number>" to use another.`;
  }
  return 'No phone number is set, so calls cannot be answered from Teams. Say "phone <number>" to set one, e.g. phone +1 425 555 0100.';
}

/** How the user knows an accepted conversation: its subject, else who it is with. */
function conversationLabel(record: InvitationRecord): string {
  return record.subject?.trim() || record.from.name?.trim() || record.from.uri?.replace(/^sip:/i, '') || 'Conversation';
}

/** The idempotency key of a typed message: from its activity id (a Teams retry repeats it), else a fresh one. */
function typedReplyKey(context: TurnContext): string {
  const id = context.activity.id;
  const seed = id ? `${context.activity.conversation?.id ?? ''}|${id}` : `${Date.now()}|${Math.random()}`;
  return createHash('sha256').update(seed, 'utf8').digest('base64url').slice(0, 24);
}

function quoted(text: string): string {
  const line = text.trim().replace(/\s+/g, ' ');
  return `\u201C${line.length > 80 ? `${line.slice(0, 79)}\u2026` : line}\u201D`;
}

/** The line on the card after Reply, and the text to put back into its input when it was not sent. */
export function cardReplyOutcome(result: ReplyResult, text: string): { note?: string; draft?: string } {
  switch (result.kind) {
    case 'sent':
      return { note: `Sent: ${quoted(result.reply.text)}` };
    case 'duplicate':
      if (result.reply.state === 'failed') return { note: `Not sent: ${result.reply.failure ?? 'Skype for Business refused it'}. Press Send to try again.`, draft: result.reply.text };
      return { note: result.reply.state === 'sending' ? `Sending ${quoted(result.reply.text)}\u2026` : `Sent: ${quoted(result.reply.text)}` };
    case 'ended':
      return { note: 'This conversation has ended: your reply was not sent.' };
    case 'invalid':
      if (result.why === 'empty') return { note: 'Type a reply first.' };
      if (result.why === 'tooLong') return { note: 'That reply is too long for Skype for Business; please shorten it.', draft: text };
      return { note: 'This card is out of date; your reply was not sent. Please try again.', draft: text };
    case 'failed':
      return { note: `Not sent: ${result.why}. Your text is still in the box; press Send to try again.`, draft: result.reply.text };
  }
}

/** The bot's answer to a typed message it sent (or did not send) to the user's one accepted conversation. */
export function typedReplyAnswer(result: ReplyResult, label: string, text: string): string {
  const where = `*${label.replace(/[\\`*_~[\]<>]/g, '')}*`;
  switch (result.kind) {
    case 'sent':
    case 'duplicate':
      return result.reply.state === 'failed' ? `Not sent to ${where}: ${result.reply.failure ?? 'Skype for Business refused it'}. Your message was: ${quoted(text)}` : `Sent to ${where}.`;
    case 'ended':
      return `The conversation ${where} has ended: your message was not sent.`;
    case 'invalid':
      return result.why === 'tooLong' ? 'That message is too long for Skype for Business; please shorten it.' : 'Your message was not sent. Please try again.';
    case 'failed':
      return `Not sent to ${where}: ${result.why}. Your message was: ${quoted(text)}`;
  }
}
