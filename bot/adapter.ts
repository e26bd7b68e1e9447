// The botbuilder seam: the CloudAdapter and its authentication built from botbuilder's own variable names. Kept in
// one file so a later move to the Microsoft 365 Agents SDK touches as little as possible.
import { Activity, CallerIdConstants, CloudAdapter, ConfigurationBotFrameworkAuthentication, InvokeResponse, StatusCodes, TurnContext } from 'botbuilder';
// botbuilder's own dependency (same release); only its public-cloud constants and validators are used here.
import { AuthenticationConstants, AuthenticationError, ChannelValidation, SimpleCredentialProvider } from 'botframework-connector';
import type { Logger } from '../src/logger';
import type { BotConfig } from './config';
import type { ActivityEndpoint, TokenVerdict } from './http/messages-endpoint';

/**
 * The CloudAdapter with the two calls the HTTP endpoint needs instead of `process()`: `process()` reads a body that
 * something else parsed, answers with library error text and prints stack traces with console.error. The endpoint
 * does its own reading, answering and logging, and asks the adapter only to authenticate and run a turn.
 */
export class BotAdapter extends CloudAdapter implements ActivityEndpoint {
  private readonly channelCredentials?: SimpleCredentialProvider;

  constructor(
    auth: ConfigurationBotFrameworkAuthentication,
    appId: string | undefined,
    channelOpenIdMetadataUrl: string,
  ) {
    super(auth);
    if (appId) {
      this.channelCredentials = new SimpleCredentialProvider(appId, '');
      // The header-only check below reads its metadata location from this module setting; it is the same document
      // the adapter's full check uses (both share botbuilder's key cache, keyed by this URL).
      ChannelValidation.OpenIdMetadataEndpoint = channelOpenIdMetadataUrl;
    }
  }

  get requiresToken(): boolean {
    return !!this.channelCredentials;
  }

  /**
   * Checks the Bot Framework channel token from the Authorization header alone, before any body is read: signature
   * against the channel's published keys, issuer, lifetime and audience (this bot's app id). What needs the activity
   * (the key's channel endorsement against activity.channelId, the serviceurl claim against activity.serviceUrl) is
   * checked again by `runActivity`, which runs botbuilder's complete validation. Only channel tokens are accepted:
   * Bot Framework Emulator tokens (issued by Entra ID) are refused; the Emulator talks to a local bot without an app id.
   */
  async checkToken(authorization: string | undefined): Promise<TokenVerdict> {
    if (!this.channelCredentials) return 'valid';
    if (!authorization || !/^Bearer [A-Za-z0-9._~+/=-]+$/.test(authorization)) return 'missing';
    try {
      // An empty channel id defers the endorsement check to the complete validation, which knows the channel.
      await ChannelValidation.authenticateChannelToken(authorization, this.channelCredentials, '');
      return 'valid';
    } catch (err) {
      return isTokenRejection(err) ? 'invalid' : 'unavailable';
    }
  }

  /** Authenticates (fully, with the activity) and runs one turn; an AuthenticationError means 401. */
  runActivity(authorization: string, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(authorization, activity, logic);
  }

  isAuthenticationFailure(err: unknown): boolean {
    return isTokenRejection(err);
  }
}

/** A refusal of the token itself (as opposed to the key document being unreachable). */
function isTokenRejection(err: unknown): boolean {
  if (err instanceof AuthenticationError) return err.statusCode === StatusCodes.UNAUTHORIZED;
  // jsonwebtoken's own errors (bad signature, expired, not yet valid, malformed) pass through botbuilder unchanged.
  const name = (err as Error | undefined)?.name;
  return name === 'JsonWebTokenError' || name === 'TokenExpiredError' || name === 'NotBeforeError';
}

export function createAdapter(config: BotConfig, env: NodeJS.ProcessEnv, log: Logger): BotAdapter {
  const auth = new ConfigurationBotFrameworkAuthentication({
    MicrosoftAppId: config.appId ?? '',
    MicrosoftAppPassword: env.MicrosoftAppPassword ?? '',
    MicrosoftAppType: config.appId ? config.appType : '',
    MicrosoftAppTenantId: config.tenantId ?? '',
    ...endpointOverrides(config),
  });
  const adapter = new BotAdapter(auth, config.appId, config.channelOpenIdMetadataUrl ?? AuthenticationConstants.ToBotFromChannelOpenIdMetadataUrl);
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    const a = context.activity;
    log.error('turn failed', { error, activityType: a.type, activityId: a.id, conversation: a.conversation?.id });
    // Invokes get their error answer from the handler; proactive turns have nobody to tell.
    if (a.type === 'message') {
      try {
        await context.sendActivity('Sorry, something went wrong on my side. Please try again.');
      } catch {
        // Nothing more to do: the failure is logged above.
      }
    }
  };
  return adapter;
}

/**
 * botbuilder's `OAuthUrl` (a regional token service such as https://europe.token.botframework.com, or a local fake
 * in tests) and `ToBotFromChannelOpenIdMetadataUrl` (where the channel's signing keys are published; a local stand-in
 * in tests). Setting any endpoint switches botbuilder to "every endpoint is given": the others are the public
 * cloud's, exactly what it uses when nothing is set, so only the configured ones move.
 */
function endpointOverrides(config: BotConfig): Record<string, string | boolean> {
  if (!config.oauthUrl && !config.channelOpenIdMetadataUrl) return {};
  return {
    OAuthUrl: config.oauthUrl ?? AuthenticationConstants.OAuthUrl,
    ValidateAuthority: true,
    ToChannelFromBotLoginUrl: AuthenticationConstants.ToChannelFromBotLoginUrl,
    ToChannelFromBotOAuthScope: AuthenticationConstants.ToChannelFromBotOAuthScope,
    ToBotFromChannelTokenIssuer: AuthenticationConstants.ToBotFromChannelTokenIssuer,
    ToBotFromChannelOpenIdMetadataUrl: config.channelOpenIdMetadataUrl ?? AuthenticationConstants.ToBotFromChannelOpenIdMetadataUrl,
    ToBotFromEmulatorOpenIdMetadataUrl: AuthenticationConstants.ToBotFromEmulatorOpenIdMetadataUrl,
    CallerId: CallerIdConstants.PublicAzureChannel,
  };
}
