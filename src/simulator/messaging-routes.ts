// The messaging resource of a conversation on the pool: GET messaging and typingParticipants, POST sendMessage
// (`messages`, the message as a text/plain or text/html body), stopMessaging (`terminate`) and setIsTyping (`typing`).
import { sendError, sendNoContent, sendResource } from './http-io';
import type { InvitationService } from './invitations';
import type { SimApplication } from './applications';
import type { RouteContext } from './pool-routes';

const NOT_FOUND = { code: 'NotFound', subcode: 'ResourceNotFound', message: 'The resource does not exist.' };

/** Answers `.../communication/conversations/{conversationId}/messaging[/action]`. */
export function handleMessaging(ctx: RouteContext, invitations: InvitationService, app: SimApplication, conversationId: string, action: string | undefined): void {
  const { res, format } = ctx;
  const method = ctx.req.method ?? 'GET';
  const ep = invitations.endpointByConversation(app, conversationId);
  if (!ep || !invitations.messaging.has(ep)) return sendError(res, format, 404, NOT_FOUND);
  const notAllowed = () => sendError(res, format, 405, { code: 'MethodNotAllowed', message: `${method} is not allowed here.` });
  const notConnected = () => sendError(res, format, 409, { code: 'Conflict', subcode: 'ModalityNotConnected', message: 'Messaging is not connected in this conversation.' });
  switch (action) {
    case undefined:
      return method === 'GET' ? sendResource(res, format, 200, invitations.messaging.resource(ep)) : notAllowed();
    case 'typingParticipants':
      return method === 'GET' ? sendResource(res, format, 200, invitations.messaging.typingParticipants(ep)) : notAllowed();
    case 'messages': {
      if (method !== 'POST') return notAllowed();
      const operationId = ctx.url.searchParams.get('operationId') ?? undefined;
      const result = invitations.messaging.clientSend(ep, ctx.req.headers['content-type'], ctx.body, operationId);
      if (result.status !== 201) return sendError(res, format, result.status, result.reason);
      res.writeHead(201, { Location: result.location, 'Content-Length': '0' });
      res.end();
      return;
    }
    case 'terminate':
      if (method !== 'POST') return notAllowed();
      return invitations.endMessaging(ep, 'client') ? sendNoContent(res) : notConnected();
    case 'typing':
      if (method !== 'POST') return notAllowed();
      return invitations.messaging.clientTyping(ep) ? sendNoContent(res) : notConnected();
    default:
      return sendError(res, format, 404, NOT_FOUND);
  }
}
