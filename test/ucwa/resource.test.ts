import assert from 'node:assert/strict';
import {
  MAX_RESPONSE_BYTES,
  UcwaParseError,
  UcwaResource,
  parseEvents,
  parseRepresentation,
  parseUcwaError,
  ucwaFormat,
} from '../../src/ucwa/resource';
import { firstMessageText } from '../../src/ucwa/data-uri';
import {
  applicationJson,
  conversationXml,
  declinedEventsJson,
  eventsXml,
  incomingInvitationEventsJson,
  incomingMessageEventsJson,
} from './fixtures';

const JSON_TYPE = 'application/json; charset=utf-8';
const UCWA_JSON = 'application/vnd.microsoft.com.ucwa+json';
const UCWA_XML = 'application/vnd.microsoft.com.ucwa+xml';

function assertParseError(fn: () => unknown, kind: UcwaParseError['kind']): UcwaParseError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UcwaParseError, `expected UcwaParseError, got ${String(err)}`);
    assert.equal(err.kind, kind);
    assert.ok(err.excerpt.length <= 200, 'excerpt is short');
    return err;
  }
  assert.fail('expected a UcwaParseError');
}

describe('ucwa/resource', () => {
  describe('content types', () => {
    it('maps JSON, XML and the misspelled XML vendor type, ignoring case and parameters', () => {
      assert.equal(ucwaFormat('application/json'), 'json');
      assert.equal(ucwaFormat('Application/JSON; charset=utf-8'), 'json');
      assert.equal(ucwaFormat(UCWA_JSON), 'json');
      assert.equal(ucwaFormat('application/xml'), 'xml');
      assert.equal(ucwaFormat(UCWA_XML + '; charset=utf-8'), 'xml');
      assert.equal(ucwaFormat('application/vnd.microsoft.ucwa+xml'), 'xml');
      assert.equal(ucwaFormat('text/html'), undefined);
      assert.equal(ucwaFormat(undefined), undefined);
    });
  });

  describe('parseRepresentation (JSON)', () => {
    const app = parseRepresentation(applicationJson, JSON_TYPE);

    it('reads rel, self href, properties and links', () => {
      assert.equal(app.rel, 'application');
      assert.equal(app.href, '/ucwa/oauth/v1/applications/205551234567');
      assert.equal(app.string('culture'), 'en-US');
      assert.equal(app.linkHref('events'), '/ucwa/oauth/v1/applications/205551234567/events?ack=1');
      assert.deepEqual(app.link('policies'), {
        rel: 'policies',
        href: '/ucwa/oauth/v1/applications/205551234567/policies',
        revision: 2,
      });
    });

    it('ignores unknown members, underscore members and links without href', () => {
      assert.equal(app.properties._future, undefined);
      assert.equal('rel' in app.properties, false);
      assert.equal(app.link('noHref'), undefined);
      assert.equal(app.link('missing'), undefined);
      assert.deepEqual(app.allLinks('missing'), []);
    });

    it('reads embedded resources under their key, keeping their own rel and odd property names', () => {
      const me = app.embeddedOne('me');
      assert.ok(me instanceof UcwaResource);
      assert.equal(me.linkHref('makeMeAvailable'), '/ucwa/oauth/v1/applications/205551234567/me/makeMeAvailable');
      const communication = app.embeddedOne('communication');
      assert.equal(communication?.string('9b8e…random'), 'please pass this in a PUT request');
      assert.deepEqual(communication?.stringArray('supportedMessageFormats'), ['Plain', 'Html']);
      assert.equal(app.embeddedOne('people'), undefined);
      assert.deepEqual(app.embeddedAll('people'), []);
    });

    it('accepts multi-valued links and embedded arrays', () => {
      const body = JSON.stringify({
        rel: 'conversation',
        _links: {
          self: { href: '/c/1' },
          participant: [
            { href: '/c/1/p/a', title: 'A' },
            { href: '/c/1/p/b', title: 'B' },
          ],
        },
        _embedded: { participant: [{ rel: 'participant', name: 'A' }, { name: 'B' }, 'not-an-object'] },
      });
      const res = parseRepresentation(body, UCWA_JSON);
      assert.deepEqual(
        res.allLinks('participant').map((l) => [l.rel, l.href, l.title]),
        [
          ['participant', '/c/1/p/a', 'A'],
          ['participant', '/c/1/p/b', 'B'],
        ],
      );
      assert.equal(res.link('participant')?.title, 'A');
      assert.deepEqual(
        res.embeddedAll('participant').map((p) => [p.rel, p.string('name')]),
        [
          ['participant', 'A'],
          ['participant', 'B'],
        ],
      );
    });

    it('typed getters return undefined for the wrong type', () => {
      const res = parseRepresentation(
        JSON.stringify({ s: 'x', b: false, n: 7, list: ['a', 1], date: '/Date(1383784870271)/', o: { a: 1 } }),
        JSON_TYPE,
      );
      assert.equal(res.string('b'), undefined);
      assert.equal(res.boolean('b'), false);
      assert.equal(res.boolean('s'), undefined);
      assert.equal(res.number('n'), 7);
      assert.equal(res.number('s'), undefined);
      assert.equal(res.stringArray('list'), undefined);
      assert.equal(res.stringArray('s'), undefined);
      assert.equal(res.date('date')?.getTime(), 1383784870271);
      assert.equal(res.string('constructor'), undefined, 'inherited names are not properties');
      assert.equal(res.string('missing'), undefined);
    });

    it('does not let a __proto__ member reach the prototype', () => {
      const res = parseRepresentation('{"__proto__": {"polluted": true}, "a": "b"}', JSON_TYPE);
      assert.equal((res.properties as { polluted?: unknown }).polluted, undefined);
      assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    });

    it('tolerates a byte-order mark', () => {
      assert.equal(parseRepresentation('\ufeff{"rel":"me"}', JSON_TYPE).rel, 'me');
    });
  });

  describe('parseRepresentation (XML)', () => {
    const conv = parseRepresentation(conversationXml, UCWA_XML);

    it('reads rel and href as the self link', () => {
      assert.equal(conv.rel, 'conversation');
      assert.match(conv.href ?? '', /conversations\/7f3c2a10/);
      assert.equal(conv.linkHref('self'), conv.href);
    });

    it('reads repeated links as a multi-valued rel, with title and revision', () => {
      assert.deepEqual(
        conv.allLinks('participant').map((l) => l.title),
        ['A', 'B'],
      );
      assert.equal(conv.link('messaging')?.revision, 2);
    });

    it('keeps property values as strings and reads them through typed getters', () => {
      assert.equal(conv.string('state'), 'Connected');
      assert.equal(conv.properties.recording, 'True');
      assert.equal(conv.boolean('recording'), true);
      assert.equal(conv.number('participantCount'), 3);
      assert.equal(conv.string('subject'), 'Raw & <kept>', 'CDATA is literal');
    });

    it('reads property lists (including empty ones) and nested resources', () => {
      assert.deepEqual(conv.stringArray('activeModalities'), ['Messaging', 'Audio']);
      assert.deepEqual(conv.stringArray('empty'), []);
      assert.deepEqual(
        conv.embeddedAll('participant').map((p) => p.string('name')),
        ['A', 'B'],
      );
      assert.equal(conv.properties.x, undefined, 'unknown elements are ignored');
    });

    it('accepts application/xml and the misspelled vendor type', () => {
      for (const type of ['application/xml', 'application/vnd.microsoft.ucwa+xml']) {
        assert.equal(parseRepresentation(conversationXml, type).string('state'), 'Connected');
      }
    });

    it('decodes the five XML entities and numeric references in text and attributes, once', () => {
      const xml =
        '<resource rel="r" href="/a?x=1&amp;y=2"><link rel="l" href="/b" title="&quot;Q&quot; &apos;s&apos; &#x263A;"/>' +
        '<property name="p">&lt;b&gt; &amp;amp; &#65;&#x42; &unknown; &#0;</property></resource>';
      const res = parseRepresentation(xml, 'application/xml');
      assert.equal(res.href, '/a?x=1&y=2');
      assert.equal(res.link('l')?.title, `"Q" 's' \u263A`);
      assert.equal(res.string('p'), '<b> &amp; AB &unknown; &#0;');
    });
  });

  describe('parseEvents (JSON)', () => {
    it('reads a capture-shaped incoming invitation batch', () => {
      const events = parseEvents(incomingInvitationEventsJson, JSON_TYPE);
      assert.deepEqual(events.links, {
        self: '/ucwa/oauth/v1/applications/205551234567/events?ack=4',
        next: '/ucwa/oauth/v1/applications/205551234567/events?ack=5',
      });
      assert.deepEqual(
        events.senders.map((s) => [s.rel, s.events.map((e) => `${e.type}:${e.link.rel}`)]),
        [
          ['communication', ['started:messagingInvitation', 'added:conversation']],
          ['conversation', ['added:localParticipant']],
        ],
      );
      const started = events.senders[0].events[0];
      const invitation = started.embedded;
      assert.ok(invitation);
      assert.equal(invitation.rel, 'messagingInvitation');
      assert.equal(invitation.string('direction'), 'Incoming');
      assert.equal(invitation.string('importance'), 'Urgent');
      assert.match(invitation.linkHref('accept') ?? '', /messagingInvitations\/a1b2c3\/accept$/);
      assert.match(invitation.linkHref('decline') ?? '', /\/decline$/);
      const from = invitation.embeddedOne('from');
      assert.equal(from?.rel, 'participant');
      assert.equal(from?.string('name'), 'Rui Costa');
      assert.equal(from?.boolean('anonymous'), false);
      assert.equal(firstMessageText(invitation.linkHref('message') ?? ''), 'Got a minute? 1+1=2');

      const local = events.senders[1].events[0];
      assert.equal(local.link.title, 'Dana Ilic');
      assert.equal(local.embedded?.rel, 'participant');
      assert.deepEqual(events.senders[0].events[1].embedded?.stringArray('activeModalities'), ['Messaging']);
    });

    it('reads a capture-shaped incoming message with status and an `in` link', () => {
      const events = parseEvents(incomingMessageEventsJson, JSON_TYPE);
      const [completed, typing] = events.senders[0].events;
      assert.equal(completed.type, 'completed');
      assert.equal(completed.status, 'Success');
      assert.equal(completed.embedded?.date('timeStamp')?.getTime(), 1700000000123);
      assert.equal(firstMessageText(completed.embedded?.linkHref('plainMessage') ?? ''), 'Olá, tudo bem?');
      assert.equal(completed.in, undefined);
      assert.deepEqual(typing.in, {
        rel: 'typingParticipants',
        href: '/ucwa/oauth/v1/applications/205551234567/communication/conversations/7f3c2a10-aaaa-4bbb-8ccc-0123456789ab/messaging/typingParticipants',
      });
      assert.equal(typing.embedded, undefined);
      assert.equal(typing.link.title, '');
    });

    it('reads a failure completion with its reason', () => {
      const event = parseEvents(declinedEventsJson, UCWA_JSON).senders[0].events[0];
      assert.equal(event.status, 'Failure');
      assert.deepEqual(event.reason, { code: 'RemoteFailure', subcode: 'Canceled', message: 'The caller hung up.' });
      assert.equal(event.embedded?.string('state'), 'Failed');
    });

    it('reads a resync-only body', () => {
      const events = parseEvents('{"_links":{"resync":{"href":"/app/events?ack=3"}}}', JSON_TYPE);
      assert.deepEqual(events, { links: { resync: '/app/events?ack=3' }, senders: [] });
    });

    it('reads a resume link', () => {
      const events = parseEvents('{"_links":{"self":{"href":"/e?ack=9"},"resume":{"href":"/e?ack=1"}}}', JSON_TYPE);
      assert.equal(events.links.resume, '/e?ack=1');
      assert.equal(events.links.next, undefined);
    });

    it('reads an empty timeout body with no sender and with sender []', () => {
      const links = { self: { href: '/e?ack=2' }, next: { href: '/e?ack=3' } };
      for (const body of [{ _links: links }, { _links: links, sender: [] }]) {
        const events = parseEvents(JSON.stringify(body), JSON_TYPE);
        assert.deepEqual(events, { links: { self: '/e?ack=2', next: '/e?ack=3' }, senders: [] });
      }
    });

    it('ignores unknown members and unusable events, tolerates single objects for arrays', () => {
      const body = JSON.stringify({
        _links: { next: { href: '/e?ack=3' }, unknown: { href: '/x' } },
        extra: 42,
        sender: {
          rel: 'me',
          href: '/me',
          future: 'ignored',
          events: [
            { link: { rel: 'presence', href: '/me/presence' }, type: 'added', revisionInfo: 'x' },
            { link: { rel: 'note' }, type: 'updated' },
            { type: 'added' },
            { link: { rel: 'location', href: '/me/location' } },
            'garbage',
            { link: { rel: 'x', href: '/x' }, type: 'someFutureType', status: 5, reason: 'nope' },
          ],
        },
      });
      const events = parseEvents(body, JSON_TYPE);
      assert.deepEqual(events.links, { next: '/e?ack=3' });
      assert.deepEqual(events.senders, [
        {
          rel: 'me',
          href: '/me',
          events: [
            { type: 'added', link: { rel: 'presence', href: '/me/presence' } },
            { type: 'someFutureType', link: { rel: 'x', href: '/x' } },
          ],
        },
      ]);
    });

    it('keeps a repeated sender rel as separate senders, in order', () => {
      const body = JSON.stringify({
        sender: [
          { rel: 'conversation', href: '/c/1', events: [{ type: 'added', link: { rel: 'a', href: '/a' } }] },
          { rel: 'communication', href: '/comm', events: [] },
          { rel: 'conversation', href: '/c/1', events: [{ type: 'deleted', link: { rel: 'a', href: '/a' } }] },
        ],
      });
      assert.deepEqual(
        parseEvents(body, JSON_TYPE).senders.map((s) => s.rel),
        ['conversation', 'communication', 'conversation'],
      );
    });
  });

  describe('parseEvents (XML)', () => {
    const events = parseEvents(eventsXml, UCWA_XML);

    it('reads self from the events href and next from a link', () => {
      assert.deepEqual(events.links, {
        self: '/ucwa/oauth/v1/applications/205551234567/events?ack=4',
        next: '/ucwa/oauth/v1/applications/205551234567/events?ack=5',
      });
    });

    it('reads senders and events in document order, the element name being the type', () => {
      assert.deepEqual(
        events.senders.map((s) => [s.rel, s.events.map((e) => `${e.type}:${e.link.rel}`)]),
        [
          ['communication', ['started:messagingInvitation', 'completed:messagingInvitation', 'completed:message']],
          ['conversation', ['added:participant', 'deleted:participant']],
        ],
      );
    });

    it('reads the embedded resource of a started invitation', () => {
      const invitation = events.senders[0].events[0].embedded;
      assert.ok(invitation);
      assert.equal(invitation.rel, 'messagingInvitation');
      assert.match(invitation.linkHref('accept') ?? '', /\/accept$/);
      assert.equal(invitation.string('subject'), 'R&D <sync> été');
      assert.equal(invitation.embeddedOne('from')?.boolean('anonymous'), false);
      assert.equal(firstMessageText(invitation.linkHref('message') ?? ''), 'Tom & Jerry');
    });

    it('reads status as an attribute or as a status property, and a reason element', () => {
      const [, failed, message] = events.senders[0].events;
      assert.equal(failed.status, 'Failure');
      assert.deepEqual(failed.reason, {
        code: 'RemoteFailure',
        subcode: 'Declined',
        message: 'Your invitation was declined.',
      });
      assert.equal(message.status, 'Success');
      assert.equal(message.reason, undefined);
    });

    it('reads an `in` child element and link titles', () => {
      const added = events.senders[1].events[0];
      assert.equal(added.link.title, 'Rui Costa');
      assert.equal(added.in?.rel, 'typingParticipants');
      assert.equal(added.in?.title, '');
      assert.equal(events.senders[1].events[1].in, undefined);
    });

    it('reads resync-only and empty bodies', () => {
      const ns = 'xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa"';
      assert.deepEqual(parseEvents(`<events ${ns}><link rel="resync" href="/e?ack=1"/></events>`, 'application/xml'), {
        links: { resync: '/e?ack=1' },
        senders: [],
      });
      assert.deepEqual(
        parseEvents(`<events href="/e?ack=2" ${ns}><link rel="next" href="/e?ack=3"/></events>`, UCWA_XML),
        { links: { self: '/e?ack=2', next: '/e?ack=3' }, senders: [] },
      );
      assert.deepEqual(parseEvents(`<events href="/e?ack=2" ${ns}><sender rel="me" href="/me"/></events>`, UCWA_XML), {
        links: { self: '/e?ack=2' },
        senders: [{ rel: 'me', href: '/me', events: [] }],
      });
    });

    it('rejects a root other than <events>', () => {
      assertParseError(() => parseEvents(conversationXml, UCWA_XML), 'unexpected-shape');
    });
  });

  describe('parseUcwaError', () => {
    it('reads JSON error bodies', () => {
      const body = JSON.stringify({
        code: 'Conflict',
        subcode: 'PGetReplaced',
        message: 'Replaced by another request.',
        debugInfo: { diagnostics: 'x' },
      });
      assert.deepEqual(parseUcwaError(body, JSON_TYPE), {
        code: 'Conflict',
        subcode: 'PGetReplaced',
        message: 'Replaced by another request.',
      });
      assert.deepEqual(parseUcwaError('{"code":"NotFound"}', UCWA_JSON), { code: 'NotFound' });
    });

    it('reads XML <reason> bodies', () => {
      const xml =
        '<reason xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa"><code>Gone</code>' +
        '<subcode>InactiveApplicationExpired</subcode><message>Expired &amp; gone</message><debugInfo/><parameters/></reason>';
      assert.deepEqual(parseUcwaError(xml, UCWA_XML), {
        code: 'Gone',
        subcode: 'InactiveApplicationExpired',
        message: 'Expired & gone',
      });
    });

    it('sniffs the format when the content type is missing', () => {
      assert.deepEqual(parseUcwaError('{"code":"ServiceFailure"}', undefined), { code: 'ServiceFailure' });
      assert.deepEqual(parseUcwaError('<reason><code>Forbidden</code></reason>', undefined), { code: 'Forbidden' });
    });

    it('returns undefined (never throws) for HTML, garbage and non-UCWA errors', () => {
      const cases: Array<[string, string | undefined]> = [
        ['<html><body><h1>401 - Unauthorized</h1></body></html>', 'text/html'],
        ['<!DOCTYPE html><html><body>Bad Gateway</body></html>', 'application/json'],
        ['not json at all {', JSON_TYPE],
        ['<reason><code>x</code>', UCWA_XML],
        ['{"error":"invalid_grant"}', JSON_TYPE],
        ['{"code": 42}', JSON_TYPE],
        ['[1,2]', JSON_TYPE],
        ['', undefined],
        ['plain text', 'text/plain'],
        ['<resource rel="x"/>', UCWA_XML],
        ['x'.repeat(MAX_RESPONSE_BYTES + 1), JSON_TYPE],
      ];
      for (const [body, type] of cases) assert.equal(parseUcwaError(body, type), undefined, body.slice(0, 40));
    });
  });

  describe('malformed and hostile bodies', () => {
    it('rejects malformed JSON with a redacted excerpt', () => {
      const err = assertParseError(
        () => parseRepresentation('{"access_token":"cwt=SECRETSECRET", "broken": ', JSON_TYPE),
        'malformed',
      );
      assert.equal(err.contentType, JSON_TYPE);
      assert.doesNotMatch(err.excerpt, /SECRETSECRET/);
      assert.doesNotMatch(err.message, /SECRETSECRET/);
    });

    it('rejects malformed XML', () => {
      assertParseError(() => parseRepresentation('<resource rel="x"><link></resource>', UCWA_XML), 'malformed');
      assertParseError(() => parseEvents('<events>', UCWA_XML), 'malformed');
      assertParseError(() => parseRepresentation('<a/><b/>', UCWA_XML), 'malformed');
      assertParseError(() => parseRepresentation('', UCWA_XML), 'malformed');
    });

    it('rejects HTML bodies, whatever the declared content type', () => {
      const page = '<!DOCTYPE html>\n<html><head><title>401</title></head><body>Unauthorized</body></html>';
      assertParseError(() => parseRepresentation(page, 'text/html; charset=utf-8'), 'html');
      assertParseError(() => parseEvents(page, JSON_TYPE), 'html');
      assertParseError(() => parseEvents('<html><body>x</body></html>', UCWA_XML), 'html');
      assertParseError(() => parseEvents('<?xml version="1.0"?><html><body/></html>', UCWA_XML), 'html');
    });

    it('rejects unsupported or missing content types', () => {
      const err = assertParseError(() => parseRepresentation('{}', 'text/plain'), 'unsupported-content-type');
      assert.match(err.message, /text\/plain/);
      assertParseError(() => parseRepresentation('{}', undefined), 'unsupported-content-type');
    });

    it('rejects JSON that is not an object and XML with the wrong root', () => {
      assertParseError(() => parseRepresentation('[{"rel":"x"}]', JSON_TYPE), 'unexpected-shape');
      assertParseError(() => parseEvents('null', JSON_TYPE), 'unexpected-shape');
      assertParseError(() => parseRepresentation('<reason><code>x</code></reason>', UCWA_XML), 'unexpected-shape');
    });

    it('rejects bodies over MAX_RESPONSE_BYTES (counted in UTF-8 bytes)', () => {
      const padding = ' '.repeat(MAX_RESPONSE_BYTES);
      assertParseError(() => parseRepresentation(`{"a":1}${padding}`, JSON_TYPE), 'too-large');
      assertParseError(() => parseEvents(`<events/>${padding}`, UCWA_XML), 'too-large');
      // Fewer characters than the cap, more bytes than the cap.
      const multiByte = `{"a":"${'é'.repeat(MAX_RESPONSE_BYTES / 2)}"}`;
      assert.ok(multiByte.length < MAX_RESPONSE_BYTES);
      assertParseError(() => parseRepresentation(multiByte, JSON_TYPE), 'too-large');
      // Just under the cap parses.
      const fits = `{"a":"${'x'.repeat(MAX_RESPONSE_BYTES - 20)}"}`;
      assert.equal(parseRepresentation(fits, JSON_TYPE).string('a')?.length, MAX_RESPONSE_BYTES - 20);
    });

    it('refuses a billion-laughs DOCTYPE without expanding it', () => {
      const lol = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE lolz [',
        ' <!ENTITY lol "lol">',
        ...Array.from({ length: 9 }, (_, i) => {
          const prev = i === 0 ? 'lol' : `lol${i}`;
          return ` <!ENTITY lol${i + 1} "${`&${prev};`.repeat(10)}">`;
        }),
        ']>',
        '<resource rel="x"><property name="p">&lol9;</property></resource>',
      ].join('\n');
      const started = Date.now();
      const err = assertParseError(() => parseRepresentation(lol, UCWA_XML), 'malformed');
      assert.match(err.message, /DOCTYPE/);
      assert.ok(Date.now() - started < 1000);
      assertParseError(() => parseEvents(lol.replace('<resource rel="x">', '<events>').replace('</resource>', '</events>'), UCWA_XML), 'malformed');
      assert.equal(parseUcwaError(lol, UCWA_XML), undefined);
    });

    it('refuses an external entity DOCTYPE', () => {
      const xxe = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><resource rel="r"><property name="p">&x;</property></resource>';
      assertParseError(() => parseRepresentation(xxe, 'application/xml'), 'malformed');
    });

    it('survives deeply nested embedding without exhausting the stack', () => {
      let body = '{"rel":"leaf"}';
      for (let i = 0; i < 5000; i++) body = `{"rel":"level${i}","_embedded":{"child":${body}}}`;
      let res: UcwaResource | undefined = parseRepresentation(body, JSON_TYPE);
      let depth = 0;
      while (res) {
        res = res.embeddedOne('child');
        depth++;
      }
      assert.ok(depth > 1 && depth <= 20, `kept ${depth} levels`);
    });

    it('does not confuse inherited names with embedded rels', () => {
      const body = JSON.stringify({
        sender: [{ rel: 'x', events: [{ type: 'added', link: { rel: 'toString', href: '/t' }, _embedded: {} }] }],
      });
      assert.equal(parseEvents(body, JSON_TYPE).senders[0].events[0].embedded, undefined);
    });

    it('keeps excerpts short and free of control characters', () => {
      const err = assertParseError(() => parseRepresentation(`{\u0000\u0007${'z'.repeat(5000)}`, JSON_TYPE), 'malformed');
      assert.ok(err.excerpt.length <= 200);
      assert.doesNotMatch(err.excerpt, /\p{Cc}/u);
    });
  });
});
