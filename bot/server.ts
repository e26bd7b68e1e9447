// The HTTP surface: Bot Framework messages, liveness and readiness.
import restify from 'restify';
import type { CloudAdapter } from 'botbuilder';
import type { ActivityHandler } from 'botbuilder';
import type { Logger } from '../src/logger';

export interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
}

export function createBotServer(adapter: CloudAdapter, bot: ActivityHandler, readiness: () => Promise<Readiness>, log: Logger): restify.Server {
  const server = restify.createServer({ name: 'sfb-invitations-bot', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ maxBodySize: 1024 * 1024, mapParams: false }));
  // Without a configured app id the adapter accepts unauthenticated requests (local tools); with one, it rejects any
  // request that lacks a valid Bot Framework token.
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
  server.get('/healthz', (_req, res, next) => {
    res.send(200, { status: 'alive' });
    next();
  });
  server.get('/readyz', async (_req, res) => {
    try {
      const r = await readiness();
      res.send(r.ready ? 200 : 503, r);
    } catch (err) {
      log.warn('readiness check failed', { error: err as Error });
      res.send(503, { ready: false, checks: { readiness: 'error' } });
    }
  });
  return server;
}
