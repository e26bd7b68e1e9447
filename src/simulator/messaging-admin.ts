// The remote side of an IM conversation, through the admin API: what the other participant writes and types, when
// they leave, and the transcript (with the content type each message of the application was sent with).
//   POST /_sim/invitations/{id}/messages       {text, format?: 'plain'|'html', encoding?: 'url'|'base64'}
//   GET  /_sim/invitations/{id}/messages       [{seq, by, contentType, text, at, status, operationId?}]
//   POST /_sim/invitations/{id}/typing         {typing?: boolean}   (default true)
//   POST /_sim/invitations/{id}/leave          the remote participant leaves
//   POST /_sim/invitations/{id}/fail-messages  {count?: number}     the next client messages complete with Failure
import { InputError, sendJson } from './http-io';
import type { InvitationService, SimInvitation } from './invitations';
import type { RouteContext } from './pool-routes';

export const MESSAGING_VERBS = ['messages', 'typing', 'leave', 'fail-messages'];

/** Handles a messaging verb of the admin API on one invitation. */
export function handleMessagingAdmin(ctx: RouteContext, invitations: InvitationService, inv: SimInvitation, verb: string, body: Record<string, unknown>): void {
  const method = ctx.req.method ?? 'GET';
  const endpoints = invitations.connectedEndpoints(inv);
  if (verb === 'messages' && method === 'GET') {
    const ep = inv.endpoints.find((e) => invitations.messaging.has(e));
    return sendJson(ctx.res, ep ? 200 : 404, ep ? invitations.messaging.transcript(ep) : { error: 'this invitation has no messaging conversation' });
  }
  if (method !== 'POST') return sendJson(ctx.res, 405, { error: `${method} not allowed` });
  let affected = 0;
  switch (verb) {
    case 'messages': {
      if (typeof body.text !== 'string' || body.text === '') throw new InputError('text must be a non-empty string');
      const format = body.format ?? 'plain';
      if (format !== 'plain' && format !== 'html') throw new InputError('format must be plain or html');
      const encoding = body.encoding ?? 'url';
      if (encoding !== 'url' && encoding !== 'base64') throw new InputError('encoding must be url or base64');
      for (const ep of endpoints) if (invitations.messaging.remoteSend(ep, body.text, format, encoding)) affected++;
      break;
    }
    case 'typing': {
      if (body.typing !== undefined && typeof body.typing !== 'boolean') throw new InputError('typing must be true or false');
      for (const ep of endpoints) if (invitations.messaging.remoteTyping(ep, body.typing !== false)) affected++;
      break;
    }
    case 'leave':
      for (const ep of endpoints) if (invitations.endMessaging(ep, 'remote')) affected++;
      break;
    case 'fail-messages': {
      const count = body.count ?? 1;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) throw new InputError('count must be a positive integer');
      for (const ep of endpoints) if (invitations.messaging.failNextSends(ep, count)) affected++;
      break;
    }
  }
  // Nobody to act on (not accepted yet, or already ended) is a conflict, so a test notices a wrong sequence.
  sendJson(ctx.res, affected > 0 ? 200 : 409, { affected, state: inv.state });
}
