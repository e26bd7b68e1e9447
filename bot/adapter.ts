// The botbuilder seam: the CloudAdapter and its authentication built from botbuilder's own variable names. Kept in
// one file so a later move to the Microsoft 365 Agents SDK touches as little as possible.
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, TurnContext } from 'botbuilder';
import type { Logger } from '../src/logger';
import type { BotConfig } from './config';

export function createAdapter(config: BotConfig, env: NodeJS.ProcessEnv, log: Logger): CloudAdapter {
  const auth = new ConfigurationBotFrameworkAuthentication({
    MicrosoftAppId: config.appId ?? '',
    MicrosoftAppPassword: env.MicrosoftAppPassword ?? '',
    MicrosoftAppType: config.appId ? config.appType : '',
    MicrosoftAppTenantId: config.tenantId ?? '',
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
