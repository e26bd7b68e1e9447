// The botbuilder seam: the CloudAdapter and its authentication built from botbuilder's own variable names. Kept in
// one file so a later move to the Microsoft 365 Agents SDK touches as little as possible.
import { CallerIdConstants, CloudAdapter, ConfigurationBotFrameworkAuthentication, TurnContext } from 'botbuilder';
// botbuilder's own dependency (same release); only its public-cloud constants are used here.
import { AuthenticationConstants } from 'botframework-connector';
import type { Logger } from '../src/logger';
import type { BotConfig } from './config';

export function createAdapter(config: BotConfig, env: NodeJS.ProcessEnv, log: Logger): CloudAdapter {
  const auth = new ConfigurationBotFrameworkAuthentication({
    MicrosoftAppId: config.appId ?? '',
    MicrosoftAppPassword: env.MicrosoftAppPassword ?? '',
    MicrosoftAppType: config.appId ? config.appType : '',
    MicrosoftAppTenantId: config.tenantId ?? '',
    ...tokenServiceOverride(config.oauthUrl),
  });
  const adapter = new CloudAdapter(auth);
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
 * in tests). Setting any endpoint switches botbuilder to "every endpoint is given": the others are the public
 * cloud's, exactly what it uses when nothing is set, so only the token service moves.
 */
function tokenServiceOverride(oauthUrl: string | undefined): Record<string, string | boolean> {
  if (!oauthUrl) return {};
  return {
    OAuthUrl: oauthUrl,
    ValidateAuthority: true,
    ToChannelFromBotLoginUrl: AuthenticationConstants.ToChannelFromBotLoginUrl,
    ToChannelFromBotOAuthScope: AuthenticationConstants.ToChannelFromBotOAuthScope,
    ToBotFromChannelTokenIssuer: AuthenticationConstants.ToBotFromChannelTokenIssuer,
    ToBotFromChannelOpenIdMetadataUrl: AuthenticationConstants.ToBotFromChannelOpenIdMetadataUrl,
    ToBotFromEmulatorOpenIdMetadataUrl: AuthenticationConstants.ToBotFromEmulatorOpenIdMetadataUrl,
    CallerId: CallerIdConstants.PublicAzureChannel,
  };
}
