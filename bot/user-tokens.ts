// The Bot Framework token service behind UCWA_AUTH=oauth: the sign-in card, redeeming the sign-in invokes, the
// watcher's tokens and sign-out. Every call uses the UserTokenClient that botbuilder puts in a proactive turn's state
// (adapter.UserTokenClientKey), so the bot's own credentials for the token service stay inside botbuilder. Tokens pass straight through: the token service caches and refreshes them; the bot never logs or
// stores them.
import { Activity, Attachment, CardFactory, CloudAdapter, ConversationReference, TurnContext } from 'botbuilder';
import type { UserTokenClient } from 'botframework-connector';
import type { OAuthResourceMode } from './config';

export interface UserTokensOptions {
  /** The bot's app id ('' for a local bot); proactive turns run as this identity. */
  appId: string;
  /** UCWA_OAUTH_CONNECTION. */
  connection: string;
  /** UCWA_OAUTH_RESOURCE: which call gives the UCWA token (see OAuthResourceMode). */
  resource: OAuthResourceMode;
}

/** The user's conversation: an incoming turn, or a stored conversation reference. */
export type TokenTarget = TurnContext | Partial<ConversationReference>;

/** The token service's failure, with the operation and status only: its messages may echo request details. */
export class TokenServiceError extends Error {
  override readonly name = 'TokenServiceError';

  constructor(operation: string, status: number | undefined) {
    super(`the Bot Framework token service failed to ${operation} (${status ?? 'no response'})`);
  }
}

export class UserTokens {
  constructor(
    private readonly adapter: CloudAdapter,
    private readonly options: UserTokensOptions,
  ) {}

  get connection(): string {
    return this.options.connection;
  }

  /** Sends the OAuth card (sign-in link from the token service, plus the SSO exchange resource when configured). */
  async sendSignInCard(target: TokenTarget, text: string): Promise<void> {
    await this.withClient(target, 'get the sign-in link', async (client, context) => {
      const resource = await client.getSignInResource(this.options.connection, context.activity as Activity, undefined as unknown as string);
      const card: Attachment = CardFactory.oauthCard(this.options.connection, 'Sign in', text, resource.signInLink, resource.tokenExchangeResource, resource.tokenPostResource);
      await context.sendActivity({ attachments: [card] });
    });
  }

  /** Whether the token service holds a token for the user (after `signin/verifyState`: with its magic code). */
  async hasToken(target: TokenTarget, magicCode?: string): Promise<boolean> {
    return this.withClient(target, 'check the sign-in', async (client, _context, user) => {
      // botbuilder types the code as required, but omits an undefined one from the query (a plain token look-up).
      const response = await client.getUserToken(user.id, this.options.connection, user.channelId, magicCode as string);
      return !!response?.token;
    });
  }

  /** Teams SSO (`signin/tokenExchange`): trades the Teams token for the connection's token. */
  async exchange(target: TokenTarget, token: string): Promise<boolean> {
    return this.withClient(target, 'exchange the SSO token', async (client, _context, user) => {
      const response = await client.exchangeToken(user.id, this.options.connection, user.channelId, { token });
      return !!response?.token;
    });
  }

  async signOut(target: TokenTarget): Promise<void> {
    await this.withClient(target, 'sign the user out', (client, _context, user) => client.signOutUser(user.id, this.options.connection, user.channelId));
  }

  /**
   * The user's UCWA token for a pool origin, or undefined when the user is not signed in (any more). `pool` mode asks
   * for a token whose resource is the origin (getAadTokens); `connection` mode takes the connection's own token.
   */
  async tokenFor(reference: Partial<ConversationReference>, origin: string): Promise<string | undefined> {
    return this.withClient(reference, `get a token for ${origin}`, async (client, _context, user) => {
      if (this.options.resource === 'connection') return (await client.getUserToken(user.id, this.options.connection, user.channelId, undefined as unknown as string))?.token || undefined;
      try {
        const tokens = await client.getAadTokens(user.id, this.options.connection, [origin], user.channelId);
        return tokens?.[origin]?.token || undefined;
      } catch (err) {
        // Unlike GetToken, GetAadTokens answers "no token for this user" with an error status.
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    });
  }

  private async withClient<T>(target: TokenTarget, operation: string, fn: (client: UserTokenClient, context: TurnContext, user: { id: string; channelId: string }) => Promise<T>): Promise<T> {
    const run = async (context: TurnContext): Promise<T> => {
      const client = context.turnState.get<UserTokenClient | undefined>(this.adapter.UserTokenClientKey);
      if (!client) throw new Error(`no UserTokenClient in the turn: cannot ${operation}`);
      const user = { id: context.activity.from?.id ?? '', channelId: context.activity.channelId ?? '' };
      if (!user.id || !user.channelId) throw new Error(`the conversation has no user or channel: cannot ${operation}`);
      try {
        return await fn(client, context, user);
      } catch (err) {
        if (err instanceof TokenServiceError || !isRestError(err)) throw err;
        throw new TokenServiceError(operation, statusOf(err));
      }
    };
    // Always a proactive turn, also while handling an incoming one: it builds the UserTokenClient for the bot's own
    // app id. (An unauthenticated local turn has a client without an app id, with which botbuilder refuses to build
    // the sign-in state.) What the bot sends in it goes to the same conversation.
    const reference = target instanceof TurnContext ? TurnContext.getConversationReference(target.activity) : target;
    let result: T | undefined;
    await this.adapter.continueConversationAsync(this.options.appId, reference, async (context) => {
      result = await run(context);
    });
    return result as T;
  }
}

function isRestError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && ((err as { name?: string }).name === 'RestError' || typeof (err as { statusCode?: unknown }).statusCode === 'number');
}

function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: number; response?: { status?: number } };
  return e?.statusCode ?? e?.response?.status;
}
