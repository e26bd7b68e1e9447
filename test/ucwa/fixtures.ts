// Event-channel and resource bodies written for these tests in the shapes of the real captures
// (/work/shared/reference/captures) and of the reference's XML examples. Own content, not copies.

const APP = '/ucwa/oauth/v1/applications/205551234567';
const CONV = `${APP}/communication/conversations/7f3c2a10-aaaa-4bbb-8ccc-0123456789ab`;
const INVITE = `${APP}/communication/messagingInvitations/a1b2c3`;

/** An incoming IM invitation arriving (started + conversation added + localParticipant added), JSON. */
export const incomingInvitationEventsJson = JSON.stringify({
  _links: {
    self: { href: `${APP}/events?ack=4` },
    next: { href: `${APP}/events?ack=5` },
  },
  sender: [
    {
      rel: 'communication',
      href: `${APP}/communication`,
      events: [
        {
          link: { rel: 'messagingInvitation', href: INVITE },
          _embedded: {
            messagingInvitation: {
              direction: 'Incoming',
              importance: 'Urgent',
              threadId: 'AdQx9ZtestThreadId0001==',
              state: 'Connecting',
              subject: 'Quarterly numbers',
              _links: {
                self: { href: INVITE },
                to: { href: `${APP}/people/dana@fabrikam.com` },
                conversation: { href: CONV },
                accept: { href: `${INVITE}/accept` },
                decline: { href: `${INVITE}/decline` },
                messaging: { href: `${CONV}/messaging` },
                message: { href: 'data:text/plain;charset=utf-8,Got+a+minute%3f+1%2b1%3d2%0d%0a' },
              },
              _embedded: {
                from: {
                  sourceNetwork: 'Federated',
                  anonymous: false,
                  name: 'Rui Costa',
                  uri: 'sip:rui@contoso.com',
                  _links: {
                    self: { href: `${CONV}/participants/rui@contoso.com` },
                    contact: { href: `${APP}/people/rui@contoso.com` },
                  },
                  rel: 'participant',
                },
              },
              rel: 'messagingInvitation',
            },
          },
          type: 'started',
        },
        {
          link: { rel: 'conversation', href: CONV },
          _embedded: {
            conversation: {
              state: 'Incoming',
              activeModalities: ['Messaging'],
              recording: false,
              _links: { self: { href: CONV }, messaging: { href: `${CONV}/messaging` } },
              rel: 'conversation',
            },
          },
          type: 'added',
        },
      ],
    },
    {
      rel: 'conversation',
      href: CONV,
      events: [
        {
          link: { rel: 'localParticipant', href: `${CONV}/participants/dana@fabrikam.com`, title: 'Dana Ilic' },
          _embedded: {
            localParticipant: {
              name: 'Dana Ilic',
              uri: 'sip:dana@fabrikam.com',
              _links: { self: { href: `${CONV}/participants/dana@fabrikam.com` }, me: { href: `${APP}/me` } },
              rel: 'participant',
            },
          },
          type: 'added',
        },
      ],
    },
  ],
});

/** An incoming message completed plus a participant added `in` typingParticipants, JSON. */
export const incomingMessageEventsJson = JSON.stringify({
  _links: { self: { href: `${APP}/events?ack=12` }, next: { href: `${APP}/events?ack=13` } },
  sender: [
    {
      rel: 'conversation',
      href: CONV,
      events: [
        {
          link: { rel: 'message', href: `${CONV}/messaging/messages/7` },
          status: 'Success',
          _embedded: {
            message: {
              direction: 'Incoming',
              timeStamp: '/Date(1700000000123)/',
              _links: {
                self: { href: `${CONV}/messaging/messages/7` },
                participant: { href: `${CONV}/participants/rui@contoso.com`, title: '' },
                plainMessage: { href: 'data:text/plain;charset=utf-8,Ol%c3%a1%2c+tudo+bem%3f%0d%0a' },
              },
              rel: 'message',
            },
          },
          type: 'completed',
        },
        {
          link: { rel: 'participant', href: `${CONV}/participants/rui@contoso.com`, title: '' },
          in: { rel: 'typingParticipants', href: `${CONV}/messaging/typingParticipants` },
          type: 'added',
        },
      ],
    },
  ],
});

/** A failed completion with a reason (the shape reported for a declined invitation). */
export const declinedEventsJson = JSON.stringify({
  _links: { self: { href: `${APP}/events?ack=6` }, next: { href: `${APP}/events?ack=7` } },
  sender: [
    {
      rel: 'communication',
      href: `${APP}/communication`,
      events: [
        {
          link: { rel: 'messagingInvitation', href: INVITE },
          status: 'Failure',
          reason: { code: 'RemoteFailure', subcode: 'Canceled', message: 'The caller hung up.' },
          _embedded: { messagingInvitation: { state: 'Failed', direction: 'Incoming', rel: 'messagingInvitation' } },
          type: 'completed',
        },
      ],
    },
  ],
});

const NS = 'http://schemas.microsoft.com/rtc/2012/03/ucwa';

/** The same kind of batch in XML: event type as element name, embedded <resource>, in/status/reason. */
export const eventsXml = `<?xml version="1.0" encoding="utf-8"?>
<events href="${APP}/events?ack=4" xmlns="${NS}">
  <link rel="next" href="${APP}/events?ack=5" />
  <sender rel="communication" href="${APP}/communication">
    <started rel="messagingInvitation" href="${INVITE}">
      <resource rel="messagingInvitation" href="${INVITE}">
        <link rel="accept" href="${INVITE}/accept" />
        <link rel="decline" href="${INVITE}/decline" />
        <link rel="message" href="data:text/plain;charset=utf-8,Tom+%26+Jerry%0d%0a" />
        <property name="direction">Incoming</property>
        <property name="importance">Normal</property>
        <property name="subject">R&amp;D &lt;sync&gt; &#233;t&#xE9;</property>
        <resource rel="from" href="${CONV}/participants/rui@contoso.com">
          <property name="name">Rui Costa</property>
          <property name="anonymous">False</property>
        </resource>
      </resource>
    </started>
    <completed rel="messagingInvitation" href="${INVITE}" status="Failure">
      <reason><code>RemoteFailure</code><subcode>Declined</subcode><message>Your invitation was declined.</message></reason>
    </completed>
    <completed rel="message" href="${CONV}/messaging/messages/8">
      <property name="status">Success</property>
    </completed>
  </sender>
  <sender rel="conversation" href="${CONV}">
    <added rel="participant" href="${CONV}/participants/rui@contoso.com" title="Rui Costa">
      <in rel="typingParticipants" href="${CONV}/messaging/typingParticipants" title="" />
    </added>
    <deleted rel="participant" href="${CONV}/participants/rui@contoso.com" />
  </sender>
</events>`;

/** A resource in XML with multi-valued links, a property list, booleans and embedded resources. */
export const conversationXml = `<resource rel="conversation" href="${CONV}" xmlns="${NS}">
  <link rel="messaging" href="${CONV}/messaging" revision="2" />
  <link rel="participant" href="${CONV}/participants/a@contoso.com" title="A" />
  <link rel="participant" href="${CONV}/participants/b@contoso.com" title="B" />
  <property name="state">Connected</property>
  <property name="recording">True</property>
  <property name="participantCount">3</property>
  <property name="subject"><![CDATA[Raw & <kept>]]></property>
  <propertyList name="activeModalities"><item>Messaging</item><item>Audio</item></propertyList>
  <propertyList name="empty" />
  <unknownElement name="x">ignored</unknownElement>
  <resource rel="participant" href="${CONV}/participants/a@contoso.com"><property name="name">A</property></resource>
  <resource rel="participant" href="${CONV}/participants/b@contoso.com"><property name="name">B</property></resource>
</resource>`;

export const applicationJson = JSON.stringify({
  culture: 'en-US',
  userAgent: 'Watcher/1.0',
  rel: 'application',
  _future: { ignored: true },
  _links: {
    self: { href: `${APP}` },
    events: { href: `${APP}/events?ack=1` },
    policies: { href: `${APP}/policies`, revision: 2, unknownMember: 'x' },
    noHref: { title: 'dropped' },
  },
  _embedded: {
    me: {
      rel: 'me',
      name: 'Dana Ilic',
      _links: { self: { href: `${APP}/me` }, makeMeAvailable: { href: `${APP}/me/makeMeAvailable` } },
    },
    communication: {
      rel: 'communication',
      etag: '1234567',
      '9b8e…random': 'please pass this in a PUT request',
      supportedMessageFormats: ['Plain', 'Html'],
      _links: { self: { href: `${APP}/communication` } },
    },
  },
});
