// InvitationEventReader: lobby waits are reported on the conversation, not on the invitation, so the reader maps
// conversations to invitations. After a restart that map is re-learned from the store (remember), and a lobby update
// then carries only the link and the state, so the stored facts stand.
import assert from 'node:assert/strict';
import { InvitationEventReader } from '../../src/ucwa/invitation';
import { parseEvents } from '../../src/ucwa/resource';

const BASE = new URL('https://pool.contoso.com/ucwa/oauth/v1/applications/205551234567/events?ack=9');
const APP = '/ucwa/oauth/v1/applications/205551234567';
const CONV = `${APP}/communication/conversations/0c1d2e3f`;
const INVITE = `${APP}/communication/onlineMeetingInvitations/9z8y`;

/** One batch with only the lobby wait: the conversation's state and the local participant, no invitation event. */
const lobbyOnlyJson = JSON.stringify({
  _links: { self: { href: `${APP}/events?ack=9` }, next: { href: `${APP}/events?ack=10` } },
  sender: [
    {
      rel: 'communication',
      href: `${APP}/communication`,
      events: [{ link: { rel: 'conversation', href: CONV }, _embedded: { conversation: { state: 'InLobby', _links: { self: { href: CONV } } } }, type: 'updated' }],
    },
    {
      rel: 'conversation',
      href: CONV,
      events: [{ link: { rel: 'localParticipant', href: `${CONV}/participants/me` }, _embedded: { localParticipant: { inLobby: true, _links: { self: { href: `${CONV}/participants/me` } } } }, type: 'updated' }],
    },
  ],
});

function flat(body: string) {
  const parsed = parseEvents(body, 'application/json');
  return parsed.senders.flatMap((s) => s.events.map((event) => ({ senderHref: s.href, event })));
}

describe('ucwa: InvitationEventReader and lobby waits', () => {
  it('a lobby wait for a conversation it never saw is not guessed at', () => {
    assert.deepEqual(new InvitationEventReader().read(flat(lobbyOnlyJson), BASE), []);
  });

  it('a conversation re-learned from the store: the lobby wait is recognised, as a link-only update', () => {
    const reader = new InvitationEventReader();
    const conversation = new URL(CONV, BASE).toString();
    const invitation = new URL(INVITE, BASE).toString();
    reader.remember(conversation, invitation, 'onlineMeeting');
    const updates = reader.read(flat(lobbyOnlyJson), BASE);
    assert.ok(updates.length >= 1);
    for (const u of updates) {
      assert.equal(u.event, 'lobby');
      assert.equal(u.outcome?.kind, 'inLobby');
      assert.equal(u.invitation.href, invitation);
      assert.equal(u.complete, false, 'no invitation facts were in the event: the stored ones must stand');
    }
    reader.forget(conversation);
    assert.deepEqual(reader.read(flat(lobbyOnlyJson), BASE), [], 'forgotten once the invitation completed');
  });
});
