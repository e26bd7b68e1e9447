// The welcome, help and status cards.
import assert from 'node:assert/strict';
import { CardFactory } from 'botbuilder';
import { commandList, type AuthMode } from '../../cards/commands';
import { helpCardAttachment, renderHelpCard } from '../../cards/help-card';
import type { JsonObject } from '../../cards/render';
import { renderStatusCard, statusCardAttachment, type ConnectionState } from '../../cards/status-card';
import { renderWelcomeCard, welcomeCardAttachment } from '../../cards/welcome-card';
import { actionsOf, assertParsesCleanly, NOW, stringsOf, textsOf, visibleText } from './helpers';

const MODES: AuthMode[] = ['password', 'oauth', 'azure'];

describe('welcome card', () => {
  for (const authMode of MODES) {
    for (const demo of [false, true]) {
      for (const linkedSip of [undefined, 'sip:alice@contoso.com']) {
        it(`${authMode}, demo ${demo}, ${linkedSip ? 'linked' : 'not linked'}: renders and parses`, () => {
          const card = renderWelcomeCard({ authMode, demo, linkedSip });
          assertParsesCleanly(card);
          const text = visibleText(card);
          assert.match(text, /Skype for Business invitations/);
          for (const command of ['help', 'status', 'connect', 'disconnect']) assert.match(text, new RegExp(`^${command}: `, 'm'));
          assert.equal(/^demo: /m.test(text), demo);
          const actions = actionsOf(card);
          for (const action of actions) assert.equal(action.type, 'Action.Submit');
          const demoButton = actions.find((a) => (a.data as JsonObject).verb === 'demo');
          assert.equal(Boolean(demoButton), demo);
          if (demoButton) {
            assert.equal(demoButton.title, 'Send me demo invitations');
            assert.deepEqual(demoButton.data, { verb: 'demo' });
          }
          const signIn = actions.find((a) => (a.data as JsonObject).verb === 'connect');
          assert.equal(Boolean(signIn), authMode === 'oauth' && !linkedSip);
          if (signIn) assert.deepEqual(signIn.data, { verb: 'connect' });
          if (linkedSip) {
            assert.match(text, /Your account is linked/);
            assert.match(text, /alice@contoso\.com/);
            assert.ok(!text.includes('sip:alice'));
          }
        });
      }
    }
  }

  it('explains how the account gets linked in each mode', () => {
    assert.match(visibleText(renderWelcomeCard({ authMode: 'password', demo: false })), /administrator links .* accounts file/);
    assert.match(visibleText(renderWelcomeCard({ authMode: 'oauth', demo: false })), /Select Sign in/);
    assert.match(visibleText(renderWelcomeCard({ authMode: 'azure', demo: false })), /administrator links/);
  });

  it('neutralises a hostile linked address', () => {
    const card = renderWelcomeCard({ authMode: 'password', demo: false, linkedSip: 'sip:[x](https://evil.example)@a.b' });
    for (const text of textsOf(card)) assert.ok(!/\]\(|\/\//.test(text), text);
  });

  it('welcomeCardAttachment wraps it', () => {
    const attachment = welcomeCardAttachment({ authMode: 'password', demo: true });
    assert.equal(attachment.contentType, CardFactory.contentTypes.adaptiveCard);
  });
});

describe('help card', () => {
  for (const authMode of MODES) {
    for (const demo of [false, true]) {
      it(`${authMode}, demo ${demo}: lists the commands, demo only in demo mode`, () => {
        const card = renderHelpCard({ authMode, demo });
        assertParsesCleanly(card);
        const text = visibleText(card);
        const listed = [...text.matchAll(/^(\w+(?: <\w+>)?): /gm)].map((m) => m[1]);
        assert.deepEqual(listed, commandList({ authMode, demo }).map((c) => c.name));
        const always = ['help', 'status', 'connect', 'disconnect', 'phone <number>'];
        assert.deepEqual(listed, demo ? [...always, 'demo'] : always);
        const verbs = actionsOf(card).map((a) => (a.data as JsonObject).verb);
        const expected = ['status', ...(authMode === 'oauth' ? ['connect'] : []), ...(demo ? ['demo'] : [])];
        assert.deepEqual(verbs, expected);
        for (const action of actionsOf(card)) assert.deepEqual(Object.keys(action.data as JsonObject), ['verb']);
      });
    }
  }

  it('says which account is linked', () => {
    assert.match(visibleText(renderHelpCard({ authMode: 'password', demo: false, linkedSip: 'sip:al@contoso.com' })), /al@contoso\.com/);
    assert.equal(helpCardAttachment({ authMode: 'azure', demo: false }).contentType, CardFactory.contentTypes.adaptiveCard);
  });
});

describe('status card', () => {
  const states: ConnectionState[] = ['connecting', 'connected', 'reconnecting', 'authFailed', 'stopped', 'notLinked'];
  const titles: Record<ConnectionState, RegExp> = {
    connecting: /^Signing in to Skype for Business…$/,
    connected: /^Connected: watching for invitations$/,
    reconnecting: /^Reconnecting to Skype for Business…$/,
    authFailed: /^Sign-in to Skype for Business failed$/,
    stopped: /^Not watching$/,
    notLinked: /^No Skype for Business account is linked$/,
  };
  const styles: Record<ConnectionState, string> = {
    connecting: 'accent',
    connected: 'good',
    reconnecting: 'warning',
    authFailed: 'attention',
    stopped: 'default',
    notLinked: 'warning',
  };

  for (const state of states) {
    it(`${state}: renders, parses, and says so`, () => {
      const card = renderStatusCard({
        linkedSip: state === 'notLinked' ? undefined : 'sip:alice@contoso.com',
        state,
        openInvitations: [],
        now: NOW,
        timeZone: 'UTC',
      });
      assertParsesCleanly(card);
      const connection = card.body.find((el) => el.type === 'Container');
      assert.ok(connection);
      assert.equal(connection.style, styles[state]);
      assert.match(String((connection.items as JsonObject[])[0].text), titles[state]);
      assert.equal(actionsOf(card).length, 0);
    });
  }

  it('shows the account, the last event (absolute and relative), the last error and open invitations', () => {
    const card = renderStatusCard({
      linkedSip: 'sip:alice@contoso.com',
      state: 'reconnecting',
      lastEventAt: '2025-03-04T14:05:00.000Z',
      lastError: 'GET https://pool.contoso.com/ucwa failed: 503 [retry](https://evil.example)',
      openInvitations: [
        { kind: 'onlineMeeting', subject: 'Budget', from: { name: 'Bob', uri: 'sip:bob@contoso.com' } },
        { kind: 'audioVideo', from: { uri: 'sip:carol@contoso.com' } },
        { kind: 'messaging', subject: '**hi**', from: 'Dave <at>x</at>' },
      ],
      now: NOW,
      timeZone: 'UTC',
    });
    assertParsesCleanly(card);
    const text = visibleText(card);
    assert.match(text, /^As of Tue 4 Mar, 14:08 UTC$/m);
    assert.match(text, /^Skype account: alice@contoso\.com$/m);
    assert.match(text, /^Last event: Tue 4 Mar, 14:05 UTC \(3 minutes ago\)$/m);
    assert.match(text, /^Last error: GET https:\/\/pool\.contoso\.com\/ucwa failed: 503 \[retry\]\(https:\/\/evil\.example\)$/m);
    assert.match(text, /^Open invitations \(3\)$/m);
    assert.match(text, /^Budget\nSkype meeting invitation from Bob$/m);
    assert.match(text, /^No subject\nSkype call from carol@contoso\.com$/m);
    assert.match(text, /^\*\*hi\*\*\nSkype IM from Dave <at>x<\/at>$/m);
    for (const raw of textsOf(card)) assert.ok(!/\]\(|\/\/|<at>/.test(raw), raw);
  });

  it('without a linked account or events: not linked, none yet, no open invitations', () => {
    const card = renderStatusCard({ openInvitations: [], now: NOW });
    const text = visibleText(card);
    assert.match(text, /^No Skype for Business account is linked$/m);
    assert.match(text, /^Skype account: Not linked$/m);
    assert.match(text, /^Last event: None yet$/m);
    assert.match(text, /^No open invitations$/m);
    assert.ok(!/Last error/.test(text));
  });

  it('lists at most 10 open invitations and counts the rest', () => {
    const openInvitations = Array.from({ length: 13 }, (_, i) => ({ kind: 'messaging' as const, subject: `s${i}` }));
    const card = renderStatusCard({ linkedSip: 'sip:a@b.c', state: 'connected', openInvitations, now: NOW });
    assertParsesCleanly(card);
    const text = visibleText(card);
    assert.match(text, /^Open invitations \(13\)$/m);
    assert.match(text, /^s9$/m);
    assert.ok(!/^s10$/m.test(text));
    assert.match(text, /^and 3 more$/m);
  });

  it('an unknown state for a linked account is said plainly; the attachment wraps the card', () => {
    const card = renderStatusCard({ linkedSip: 'sip:a@b.c', openInvitations: [], now: NOW });
    assert.ok(stringsOf(card).includes('Connection state unknown'));
    assert.equal(statusCardAttachment({ openInvitations: [] }).contentType, CardFactory.contentTypes.adaptiveCard);
  });

  it('a store that refuses writes is said in an attention box under the title; nothing about it otherwise', () => {
    const card = renderStatusCard({ linkedSip: 'sip:a@b.c', state: 'connected', openInvitations: [], now: NOW, storeRefusesWrites: true });
    assertParsesCleanly(card);
    const box = card.body[2] as JsonObject;
    assert.equal(box.style, 'attention');
    assert.deepEqual(textsOf({ ...card, body: [box] }), ['The bot cannot save anything right now', 'Invitations will appear here when its storage works again.']);
    const fine = renderStatusCard({ linkedSip: 'sip:a@b.c', state: 'connected', openInvitations: [], now: NOW });
    assert.doesNotMatch(visibleText(fine), /cannot save/);
  });

  it('while the store refuses writes, the reconnecting watcher blames the store, not the Skype connection', () => {
    const text = visibleText(renderStatusCard({ linkedSip: 'sip:a@b.c', state: 'reconnecting', openInvitations: [], now: NOW, storeRefusesWrites: true }));
    assert.match(text, /Waiting for the bot's storage/);
    assert.doesNotMatch(text, /Reconnecting|connection was interrupted/);
    const plain = visibleText(renderStatusCard({ linkedSip: 'sip:a@b.c', state: 'reconnecting', openInvitations: [], now: NOW }));
    assert.match(plain, /Reconnecting to Skype for Business/);
  });
});
