// The invitation card in every state: texts, importance, sender, and which actions it offers.
import assert from 'node:assert/strict';
import { CardFactory } from 'botbuilder';
import {
  invitationCardAttachment,
  invitationCardData,
  joinUrlOf,
  renderInvitationCard,
  type InvitationCardOptions,
} from '../../cards/invitation-card';
import type { AdaptiveCardJson, JsonObject } from '../../cards/render';
import { INVITATION_STATES, TERMINAL_STATES, type InvitationRecord, type InvitationState } from '../../src/store/records';
import {
  actionByVerb,
  actionsOf,
  assertParsesCleanly,
  INVITATION_ID,
  NOW,
  objectsOf,
  parseAsClientWithoutExecute,
  record,
  stringsOf,
  textsOf,
  visibleText,
} from './helpers';

const OPTIONS: InvitationCardOptions = { canAccept: true, now: NOW, timeZone: 'UTC' };

function render(overrides: Partial<InvitationRecord> = {}, options: Partial<InvitationCardOptions> = {}): AdaptiveCardJson {
  return renderInvitationCard(record(overrides), { ...OPTIONS, ...options });
}

function section(card: AdaptiveCardJson, id: string): JsonObject | undefined {
  return card.body.find((el) => el.id === id);
}

/** The texts of the status section, if there is one. */
function statusTexts(card: AdaptiveCardJson): string[] {
  const status = section(card, 'status');
  return status ? textsOf({ ...card, body: [status] }).map((t) => t.replace(/\u2060/g, '')) : [];
}

const EXPECTED_STATUS: Record<InvitationState, RegExp | undefined> = {
  pending: undefined,
  accepting: /^Accepting…$/,
  declining: /^Declining…$/,
  inLobby: /^Waiting in the lobby — a presenter will let you in$/,
  connected: /^Joined$/,
  declined: /^Declined$/,
  cancelledBySender: /^Bob Builder cancelled the invitation$/,
  missed: /^Missed — nobody answered in time$/,
  answeredElsewhere: /^Answered on another device$/,
  denied: /^A presenter denied entry from the lobby$/,
  failed: /^Failed$/,
  ended: /^No longer available$/,
  conversationEnded: /^Conversation ended$/,
};

describe('invitation card', () => {
  describe('in every state', () => {
    for (const state of INVITATION_STATES) {
      it(`${state}: renders, parses, and says where the invitation stands`, () => {
        const card = render({ state });
        assertParsesCleanly(card);
        const status = statusTexts(card);
        const expected = EXPECTED_STATUS[state];
        if (expected) assert.match(status[0] ?? '', expected);
        else assert.deepEqual(status, []);
        // The invitation itself stays readable in every state.
        const text = visibleText(card);
        assert.match(text, /Skype meeting invitation/);
        assert.match(text, /Quarterly review/);
        assert.match(text, /Bob Builder/);
        assert.match(text, /Received: Tue 4 Mar, 14:05 UTC/);
      });
    }

    it('offers Accept and Decline only while pending; terminal and in-flight states have no buttons', () => {
      for (const state of INVITATION_STATES) {
        const card = render({ state });
        const verbs = actionsOf(card).map((a) => a.verb).filter(Boolean);
        assert.deepEqual(verbs, state === 'pending' ? ['accept', 'decline'] : [], state);
      }
      for (const state of TERMINAL_STATES) assert.equal(actionsOf(render({ state })).length, 0, state);
    });

    it('says Accepted rather than Joined when an IM or a call is connected', () => {
      assert.deepEqual(statusTexts(render({ state: 'connected', kind: 'messaging' })), ['Accepted']);
      assert.deepEqual(statusTexts(render({ state: 'connected', kind: 'audioVideo' })), ['Accepted']);
      assert.deepEqual(statusTexts(render({ state: 'connected', kind: 'onlineMeeting' })), ['Joined']);
    });

    it('failed shows the server reason, a known subcode in words, or a generic reason', () => {
      const withMessage = render({ state: 'failed', outcomeReason: { code: 'RemoteFailure', message: 'The conference has ended.' } });
      assert.deepEqual(statusTexts(withMessage), ['Failed', 'The conference has ended.']);
      const withSubcode = render({ state: 'failed', outcomeReason: { code: 'ServiceFailure', subcode: 'TemporarilyUnavailable' } });
      assert.deepEqual(statusTexts(withSubcode), ['Failed', 'Skype for Business is temporarily unavailable.']);
      const bare = render({ state: 'failed' });
      assert.equal(statusTexts(bare).length, 2);
      assert.match(statusTexts(bare)[1], /could not complete the request/);
    });

    it('ended shows "No longer available" with the reason; cancelled names the sender (or says "The sender")', () => {
      const ended = render({ state: 'ended', outcomeReason: { message: 'The invitation was withdrawn.' } });
      assert.deepEqual(statusTexts(ended), ['No longer available', 'The invitation was withdrawn.']);
      assert.deepEqual(statusTexts(render({ state: 'ended' })), ['No longer available']);
      const anonymous = render({ state: 'cancelledBySender', from: { uri: 'sip:carol@contoso.com' } });
      assert.deepEqual(statusTexts(anonymous), ['carol@contoso.com cancelled the invitation']);
      const unknown = render({ state: 'cancelledBySender', from: {} });
      assert.deepEqual(statusTexts(unknown), ['Unknown sender cancelled the invitation']);
    });
  });

  describe('refresh (every copy of the card shows the current state)', () => {
    const ALEX_MRI = '29:1a2b3c-alex-mri';

    it('asks Teams to refresh the card for the invitee alone, with Action.Execute verb refresh and only the id', () => {
      for (const state of INVITATION_STATES) {
        const card = render({ state }, { inviteeTeamsId: ALEX_MRI });
        assert.deepEqual(card.refresh, {
          action: { type: 'Action.Execute', verb: 'refresh', data: { invitationId: INVITATION_ID, verb: 'refresh' } },
          userIds: [ALEX_MRI],
        }, state);
        assertParsesCleanly(card);
      }
    });

    it('is not a button, and a client without Action.Execute still gets Accept and Decline', () => {
      const card = render({}, { inviteeTeamsId: ALEX_MRI });
      assert.deepEqual(actionsOf(card).map((a) => a.verb), ['accept', 'decline']);
      assert.deepEqual(parseAsClientWithoutExecute(card).map((a) => (a.data as JsonObject).verb), ['accept', 'decline']);
    });

    it('is left out when the invitee\'s Teams id is unknown or not an id (no null, no template text)', () => {
      assert.ok(!('refresh' in render()), 'no key at all');
      for (const bad of ['', 'has space', '${refresh.userIds}', 'x'.repeat(300), '29:\u202Ertl']) {
        assert.ok(!('refresh' in render({}, { inviteeTeamsId: bad })), JSON.stringify(bad));
      }
    });
  });

  describe('Accept and Decline', () => {
    it('are Action.Execute with verbs accept/decline and data holding exactly the invitation id and the verb', () => {
      const card = render();
      for (const verb of ['accept', 'decline']) {
        const action = actionByVerb(card, verb);
        assert.ok(action, verb);
        assert.equal(action.type, 'Action.Execute');
        assert.deepEqual(action.data, { invitationId: INVITATION_ID, verb });
        const fallback = action.fallback as JsonObject;
        assert.equal(fallback.type, 'Action.Submit');
        assert.deepEqual(fallback.data, { invitationId: INVITATION_ID, verb });
        assert.equal(fallback.title, action.title);
        assert.ok(!('msteams' in fallback) && !('msteams' in (fallback.data as JsonObject)));
      }
    });

    it('fall back to Action.Submit with the same data on a client without Action.Execute', () => {
      const actions = parseAsClientWithoutExecute(render());
      assert.deepEqual(
        actions.map((a) => [a.type, a.data]),
        [
          ['Action.Submit', { invitationId: INVITATION_ID, verb: 'accept' }],
          ['Action.Submit', { invitationId: INVITATION_ID, verb: 'decline' }],
        ],
      );
    });

    it('no action carries a URL in its data, whatever the record holds', () => {
      const card = render({ onlineMeetingUri: 'https://meet.contoso.com/bob/ABC123' });
      for (const obj of objectsOf(card.actions ?? [])) {
        if (obj.data === undefined) continue;
        for (const value of stringsOf(obj.data)) {
          assert.doesNotMatch(value, /https?:|\/ucwa\/|\/\//i, value);
        }
        assert.deepEqual(Object.keys(obj.data as JsonObject).sort(), ['invitationId', 'verb']);
      }
      // The cached UCWA links never reach the card at all.
      const json = JSON.stringify(card);
      assert.ok(!json.includes('/ucwa/'), json);
    });

    it('Accept is left out when the bot cannot accept, with a note to answer in Skype; Decline stays', () => {
      const call = render({ kind: 'audioVideo', onlineMeetingUri: undefined }, { canAccept: false });
      assert.equal(actionByVerb(call, 'accept'), undefined);
      assert.ok(actionByVerb(call, 'decline'));
      assert.ok(textsOf(call).includes('Answer this call in Skype for Business'));
      assert.ok(!textsOf(render({ kind: 'audioVideo' })).includes('Answer this call in Skype for Business'));
      // No note once the invitation is no longer pending.
      const missed = render({ kind: 'audioVideo', state: 'missed' }, { canAccept: false });
      assert.ok(!textsOf(missed).some((t) => /in Skype for Business$/.test(t)));
    });

    it('the Accept title can be set, and is cleaned and capped', () => {
      const card = render({}, { acceptLabel: ' Accept on\nmy phone\u202E ' });
      assert.equal(actionByVerb(card, 'accept')?.title, 'Accept on my phone');
      assert.equal(actionByVerb(render({}, { acceptLabel: 'x'.repeat(100) }), 'accept')?.title, `${'x'.repeat(39)}…`);
    });
  });

  describe('Join', () => {
    it('is an Action.OpenUrl only for an https meeting URL, with the host shown', () => {
      const card = render({ onlineMeetingUri: 'https://meet.contoso.com/bob/ABC123' });
      const join = actionsOf(card).find((a) => a.type === 'Action.OpenUrl');
      assert.ok(join);
      assert.equal(join.url, 'https://meet.contoso.com/bob/ABC123');
      assert.equal(join.title, 'Join');
      assert.ok(visibleText(card).includes('Meeting link: meet.contoso.com'));
      assert.ok(!visibleText(card).includes('Conference:'));
    });

    it('a sip: conference URI is shown as text, never as a link', () => {
      const card = render();
      assert.equal(actionsOf(card).filter((a) => a.type === 'Action.OpenUrl').length, 0);
      assert.match(visibleText(card), /Conference: sip:bob@contoso\.com;gruu;opaque=app:conf:focus:id:ABC123/);
    });

    it('keeps the conference address, which tells a person little, behind a toggle, wrapped rather than clipped', () => {
      const card = render();
      const address = objectsOf(card.body).find((o) => o.id === 'conferenceAddress');
      assert.ok(address);
      assert.equal(address.isVisible, false, 'hidden until asked for');
      assert.equal(address.wrap, true);
      const toggle = objectsOf(card.body).find((o) => o.id === 'conferenceToggle');
      assert.deepEqual((toggle?.actions as JsonObject[])[0], { type: 'Action.ToggleVisibility', title: 'Conference address', targetElements: ['conferenceAddress'] });
      assert.ok(!JSON.stringify(objectsOf(card.body).find((o) => o.id === 'details')).includes('Conference'), 'not among the facts');
      assertParsesCleanly(card);
    });

    it('refuses http, other schemes, user info, and junk', () => {
      for (const uri of [
        'http://meet.contoso.com/bob/ABC',
        'javascript:alert(1)',
        'https://meet.contoso.com@evil.example/',
        'https://user:pw@meet.contoso.com/',
        'ftp://meet.contoso.com/',
        'not a url',
        `https://meet.contoso.com/${'a'.repeat(3000)}`,
        'https://meet.contoso.com/?q=${1+1}',
      ]) {
        assert.equal(joinUrlOf(uri), undefined, uri);
        const card = render({ onlineMeetingUri: uri });
        assert.equal(actionsOf(card).filter((a) => a.type === 'Action.OpenUrl').length, 0, uri);
        assertParsesCleanly(card);
      }
    });

    it('is not offered for IMs and calls, nor once the invitation is cancelled or gone', () => {
      const https = 'https://meet.contoso.com/bob/ABC123';
      for (const kind of ['messaging', 'audioVideo'] as const) {
        const card = render({ kind, onlineMeetingUri: https });
        assert.equal(actionsOf(card).filter((a) => a.type === 'Action.OpenUrl').length, 0, kind);
        assert.ok(!visibleText(card).includes('Conference'), kind);
        assert.ok(!visibleText(card).includes('Join with'), kind);
      }
      for (const state of ['ended', 'cancelledBySender'] as const) {
        assert.equal(actionsOf(render({ state, onlineMeetingUri: https })).length, 0, state);
      }
      // Still useful after a decline or a failure: the user may join by the link.
      assert.equal(actionsOf(render({ state: 'failed', onlineMeetingUri: https }))[0]?.type, 'Action.OpenUrl');
    });
  });

  describe('header and sender', () => {
    it('names the kind of invitation', () => {
      assert.equal(textsOf(render({ kind: 'onlineMeeting' }))[0], 'Skype meeting invitation');
      assert.equal(textsOf(render({ kind: 'messaging' }))[0], 'Skype IM');
      assert.equal(textsOf(render({ kind: 'audioVideo' }))[0], 'Skype call');
    });

    it('marks Urgent and Emergency unmistakably at the top; Normal has no marker', () => {
      const normal = render();
      assert.equal(section(normal, 'header')?.style, 'accent');
      assert.ok(!textsOf(normal).some((t) => /URGENT|EMERGENCY/.test(t)));

      const urgent = render({ importance: 'Urgent' });
      const urgentHeader = section(urgent, 'header') as JsonObject;
      assert.equal(urgentHeader.style, 'warning');
      const urgentMarker = (urgentHeader.items as JsonObject[])[0];
      assert.deepEqual([urgentMarker.text, urgentMarker.color, urgentMarker.weight], ['URGENT', 'attention', 'bolder']);

      const emergency = render({ importance: 'Emergency' });
      const emergencyHeader = section(emergency, 'header') as JsonObject;
      assert.equal(emergencyHeader.style, 'attention');
      const emergencyMarker = (emergencyHeader.items as JsonObject[])[0];
      assert.deepEqual(
        [emergencyMarker.text, emergencyMarker.color, emergencyMarker.size],
        ['EMERGENCY', 'attention', 'large'],
      );
      assertParsesCleanly(emergency);
    });

    it('marks importance on IM and call cards as on meeting cards', () => {
      for (const kind of ['messaging', 'audioVideo'] as const) {
        const header = section(render({ kind, importance: 'Urgent' }), 'header') as JsonObject;
        assert.equal(header.style, 'warning', kind);
        assert.equal((header.items as JsonObject[])[0].text, 'URGENT', kind);
      }
    });

    it('shows a placeholder for an empty or blank subject', () => {
      for (const subject of [undefined, '', '   \n\t', '\u202E\u200B']) {
        const card = render({ subject });
        assert.equal(textsOf(card)[1], 'Meeting without a subject', JSON.stringify(subject));
      }
      assert.equal(textsOf(render({ kind: 'audioVideo', subject: '' }))[1], 'Call without a subject');
    });

    it('shows the sender name and SIP address without sip:, and marks senders outside the organisation', () => {
      const internal = render();
      const text = visibleText(internal);
      assert.match(text, /Invited by\nBob Builder\nbob@contoso\.com\n/);
      assert.ok(!text.includes('sip:bob@contoso.com\n'));
      assert.ok(!/External|Public|Network unknown/.test(text));

      const marks: Record<string, string> = {
        Federated: 'External (federated)',
        PublicCloud: 'Public IM contact',
        Everyone: 'External (outside your organisation)',
        Unknown: 'Network unknown: may be external',
      };
      for (const [sourceNetwork, label] of Object.entries(marks)) {
        const card = render({ from: { name: 'Eve', uri: 'sip:eve@fabrikam.com', sourceNetwork } });
        const block = objectsOf(card.body).find((o) => o.text === label);
        assert.ok(block, sourceNetwork);
        // Dark text on the warning background: yellow text on white was hard to read.
        assert.equal(block.color, 'default');
        assert.equal(objectsOf(card.body).find((o) => o.id === 'externalSender')?.style, 'warning');
      }
      // A missing network is not taken for internal.
      assert.ok(visibleText(render({ from: { name: 'Eve', uri: 'sip:eve@fabrikam.com' } })).includes('Network unknown'));
    });

    it('falls back to the address, then to "Unknown sender", without repeating a line', () => {
      const addressOnly = visibleText(render({ from: { uri: 'SIP:dave@contoso.com', sourceNetwork: 'SameEnterprise' } }));
      assert.match(addressOnly, /Invited by\ndave@contoso\.com\n/);
      assert.equal(addressOnly.split('dave@contoso.com').length, 2);
      assert.match(visibleText(render({ from: { sourceNetwork: 'SameEnterprise' } })), /Invited by\nUnknown sender\n/);
    });

    it('shows on whose behalf the invitation was sent', () => {
      const both = render({ onBehalfOf: { name: 'Carol Chief', uri: 'sip:carol@contoso.com' } });
      assert.ok(visibleText(both).includes('On behalf of Carol Chief (carol@contoso.com)'));
      assert.ok(visibleText(render({ onBehalfOf: { uri: 'sip:carol@contoso.com' } })).includes('On behalf of carol@contoso.com'));
      assert.ok(!visibleText(render({ onBehalfOf: {} })).includes('On behalf of'));
      assert.ok(!visibleText(render()).includes('On behalf of'));
    });

    it('quotes the first message, one TextBlock per line, in an emphasis container', () => {
      const card = render({ message: 'Line one\r\n\r\n\r\nLine   two\n' });
      const quote = section(card, 'message');
      assert.ok(quote);
      assert.equal(quote.style, 'emphasis');
      assert.deepEqual(
        (quote.items as JsonObject[]).map((i) => i.text),
        ['\u201CLine one', 'Line two\u201D'],
      );
      const single = section(render({ message: 'Hi' }), 'message');
      assert.deepEqual((single?.items as JsonObject[]).map((i) => i.text), ['\u201CHi\u201D']);
      assert.equal(section(render({ message: undefined }), 'message'), undefined);
      assert.equal(section(render({ message: ' \n ' }), 'message'), undefined);
    });

    it('lists the available modalities of a meeting in words', () => {
      assert.ok(visibleText(render()).includes('Join with: Instant messages, audio, video and screen sharing'));
      assert.ok(visibleText(render({ availableModalities: ['Audio'] })).includes('Join with: Audio'));
      assert.ok(!visibleText(render({ availableModalities: [] })).includes('Join with'));
      assert.ok(!visibleText(render({ availableModalities: ['Hologram'] })).includes('Join with'));
    });

    it('formats the arrival time in the given zone, with the year only when it is not this year', () => {
      assert.ok(visibleText(render({}, { timeZone: 'Europe/Berlin' })).includes('Received: Tue 4 Mar, 15:05'));
      assert.ok(visibleText(render({}, { timeZone: 'Not/AZone' })).includes('Received: Tue 4 Mar, 14:05 UTC'));
      assert.ok(visibleText(render({}, { now: new Date('2026-01-02T00:00:00Z') })).includes('Received: Tue 4 Mar 2025, 14:05 UTC'));
      assert.ok(visibleText(render({ receivedAt: 'garbage' })).includes('Received: Unknown'));
    });
  });

  describe('hostile text', () => {
    const hostile = record({
      subject: `[Click here](https://evil.example/login) ![img](https://evil.example/x.png) **${'A'.repeat(10_000)}`,
      importance: 'Urgent',
      from: {
        name: '<at>Everyone</at> **CEO** _x_ ~~y~~ `z`\u202Eexe.jpg\u0007',
        uri: 'sip:[me](http://evil.example)@fabrikam.com',
        sourceNetwork: 'Federated',
      },
      onBehalfOf: { name: '# Heading', uri: 'sip:x@www.evil.example' },
      message: '> quote\n- list item\n1. numbered\nVisit https://evil.example/a or www.evil.example or evil.example\n${1+1} {{DATE(2017-02-14T06:08:39Z, SHORT)}}\nsixth\nseventh',
      outcomeReason: { message: `<a href="https://evil.example">reason</a> ${'r'.repeat(1000)}` },
      state: 'failed',
    });
    const card = renderInvitationCard(hostile, OPTIONS);
    const texts = textsOf(card);

    it('still renders a valid card', () => {
      assertParsesCleanly(card);
    });

    it('cannot form links, images, autolinks, mentions, tags or entities', () => {
      for (const text of texts) {
        assert.ok(!/\]\(|\]\[/.test(text), `link syntax in ${text.slice(0, 80)}`);
        assert.ok(!/<[^\u2060]/.test(text), `tag or mention in ${text.slice(0, 80)}`);
        assert.ok(!/\/\//.test(text), `scheme or protocol-relative URL in ${text.slice(0, 80)}`);
        assert.ok(!/\.[\p{L}\p{N}]/u.test(text), `linkifiable domain in ${text.slice(0, 80)}`);
        assert.ok(!/&[^\u2060]/.test(text), `entity in ${text.slice(0, 80)}`);
      }
    });

    it('escapes emphasis, code and block syntax', () => {
      for (const text of texts) {
        assert.ok(!/(^|[^\\])[*_~`]/.test(text), `unescaped emphasis/code in ${text.slice(0, 80)}`);
        assert.ok(!/^[#>\-+=|]/.test(text), `block syntax at the start of ${text.slice(0, 80)}`);
        assert.ok(!/^\d+[.)]/.test(text), `ordered list at the start of ${text.slice(0, 80)}`);
      }
      assert.ok(texts.includes('\u201C\\> quote'));
      assert.ok(texts.includes('\\- list item'));
      assert.ok(texts.includes('1\\. numbered'));
      assert.ok(texts.some((t) => t.startsWith('On behalf of \\# Heading')));
    });

    it('leaves template syntax literal: no ${ anywhere, and nothing evaluated', () => {
      const json = JSON.stringify(card);
      assert.ok(!json.includes('${'));
      assert.ok(!json.includes('{{'));
      const visible = visibleText(card);
      assert.ok(visible.includes('${1+1} {{DATE(2017-02-14T06:08:39Z, SHORT)}}'), visible);
    });

    it('removes control and bidi characters', () => {
      for (const text of stringsOf(card)) {
        // eslint-disable-next-line no-control-regex -- the test looks for control characters
        assert.ok(!/[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\u200E\u200F]/.test(text), JSON.stringify(text));
      }
      assert.ok(visibleText(card).includes('`z`exe.jpg'));
    });

    it('caps lengths: subject 250, names 100, message 5 lines and 500, reason 300', () => {
      const data = invitationCardData(hostile, OPTIONS);
      const seen = (s: string): number => Array.from(s.replace(/\u2060/g, '').replace(/\\(.)/g, '$1')).length;
      assert.equal(seen(data.header.subject), 250);
      assert.ok(data.header.subject.endsWith('\u2026'));
      assert.ok(seen(data.sender.name) <= 100);
      assert.equal(data.message.lines.length, 5);
      assert.ok(data.message.lines[4].includes('sixth seventh'));
      assert.ok(data.message.lines.reduce((n, l) => n + seen(l), 0) <= 500 + 2);
      assert.equal(seen(data.status.detail), 300);
      assert.ok(data.status.detail.endsWith('\u2026'));
      assert.ok(JSON.stringify(card).length < 8_000, 'card stays small');
    });
  });

  it('invitationCardAttachment wraps the card for Bot Framework', () => {
    const attachment = invitationCardAttachment(record(), OPTIONS);
    assert.equal(attachment.contentType, CardFactory.contentTypes.adaptiveCard);
    assert.deepEqual(attachment.content, render());
  });

  it('does not change the record it renders', () => {
    const input = record({ subject: '[x](y)', message: 'a\nb' });
    const before = JSON.stringify(input);
    renderInvitationCard(input, OPTIONS);
    assert.equal(JSON.stringify(input), before);
  });

  it('shows a one-off notice for the clicker as neutralised text, in place of the answer-elsewhere note', () => {
    const card = renderInvitationCard(record({ kind: 'audioVideo' }), { ...OPTIONS, canAccept: false, notice: 'Try [again](https://evil.example) <at>x</at>' });
    const text = visibleText(card);
    assert.match(text, /Try/);
    assert.ok(!/\]\(https:/.test(JSON.stringify(card)), 'no markdown link survives');
    assert.ok(!/Answer this call in Skype for Business/.test(text), 'the notice replaces the standing note');
    assertParsesCleanly(card);
  });
});
