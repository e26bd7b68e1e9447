// InvitationBot with botbuilder's TestAdapter on the msteams channel: installation tracking, the welcome card, the
// commands. The watcher is the real WatcherSupervisor against the real UCWA simulator; storage is MemoryStorage.
import assert from 'node:assert/strict';
import type { Activity, ConversationAccount } from 'botbuilder';
import type { DemoHooks } from '../../bot/invitation-bot';
import { ALEX, idOf, BotHarness, cardHas, cardOf, cardTexts, MEGAN, TENANT, untilWatcher } from './helpers';

const GROUP_CHAT = { id: '19:group-chat@thread.v2', conversationType: 'groupChat', tenantId: TENANT, isGroup: true } as ConversationAccount;

function only(sent: Array<Partial<Activity>>): Partial<Activity> {
  assert.equal(sent.length, 1, `one reply, got ${JSON.stringify(sent.map((a) => a.text ?? a.attachments?.[0]?.contentType))}`);
  return sent[0];
}

const isHelpCard = (a: Partial<Activity>) => cardHas(cardOf(a), 'What you can type');

describe('InvitationBot: installation and commands (TestAdapter)', function () {
  this.timeout(15_000);
  let h: BotHarness;

  before(async () => {
    h = await BotHarness.start();
  });
  after(() => h?.stop());

  describe('installation', () => {
    it('install stores the personal-chat reference, starts watching, and sends the welcome card even though getMember fails', async () => {
      const welcome = only(await h.install(ALEX));
      const card = cardOf(welcome);
      assert.ok(card, 'a card');
      assert.ok(cardHas(card, 'Skype for Business invitations, here in Teams'), cardTexts(card).join(' | '));
      assert.ok(cardHas(card, 'Your account is linked'));
      assert.ok(cardHas(card, 'alexw@example.com'));

      const installation = await h.installations.get(idOf(ALEX));
      assert.ok(installation);
      assert.equal(installation.active, true);
      assert.equal(installation.paused, false);
      assert.equal(installation.reference.conversation?.id, h.personalChat(ALEX).id);
      assert.equal(installation.reference.serviceUrl, h.connector.url);
      assert.equal(installation.upn, undefined, 'no UPN: TeamsInfo.getMember cannot work on TestAdapter');
      assert.ok(h.log.has('warn', 'could not look up the user principal name'), 'the failed lookup is logged');
      assert.ok(h.supervisor.isWatching(ALEX.aadObjectId), 'the linked account is watched');
      await untilWatcher(h.supervisor, 'the watcher to connect', () => (h.supervisor.status(ALEX.aadObjectId)?.state === 'connected' ? true : undefined));
    });

    it('a group-chat message does not move the user\'s delivery address out of the personal chat', async () => {
      const reply = only(await h.say(ALEX, '<at>Skype invitations</at> help', GROUP_CHAT));
      assert.ok(isHelpCard(reply), 'the @mention is stripped and the command understood');
      const installation = await h.installations.get(idOf(ALEX));
      assert.equal(installation?.reference.conversation?.id, h.personalChat(ALEX).id, 'cards still go to the personal chat');
    });

    it('status asked in a group chat does not show the user\'s invitations to the group', async () => {
      const reply = only(await h.say(ALEX, '<at>Skype invitations</at> status', GROUP_CHAT));
      assert.equal(cardOf(reply), undefined, 'no status card in the group');
      assert.match(reply.text ?? '', /personal chat/);
    });

    it('removing the bot from a group chat leaves the personal installation alone', async () => {
      await h.adapter.turn(h.activity(ALEX, { type: 'installationUpdate', action: 'remove', conversation: GROUP_CHAT }));
      const installation = await h.installations.get(idOf(ALEX));
      assert.equal(installation?.active, true);
      assert.ok(h.supervisor.isWatching(ALEX.aadObjectId), 'still watching');
    });

    it('an app upgrade (remove-upgrade) neither deactivates the installation nor stops watching', async () => {
      await h.adapter.turn(h.activity(ALEX, { type: 'installationUpdate', action: 'remove-upgrade' }));
      assert.equal((await h.installations.get(idOf(ALEX)))?.active, true);
      assert.ok(h.supervisor.isWatching(ALEX.aadObjectId), 'still watching');
    });

    it('an app upgrade (add-upgrade) refreshes the reference and the time zone quietly: no second welcome', async () => {
      const upgradedChat = { ...h.personalChat(ALEX), id: `${h.personalChat(ALEX).id}-after-upgrade` };
      const replies = await h.adapter.turn(h.activity(ALEX, { type: 'installationUpdate', action: 'add-upgrade', conversation: upgradedChat, localTimezone: 'Europe/Berlin' }));
      assert.deepEqual(replies.filter((a) => a.type === 'message'), [], 'nothing said');
      const installation = await h.installations.get(idOf(ALEX));
      assert.equal(installation?.reference.conversation?.id, upgradedChat.id);
      assert.equal(installation?.timeZone, 'Europe/Berlin');
      assert.ok(h.supervisor.isWatching(ALEX.aadObjectId), 'still watching');
      await h.install(ALEX); // back to the usual chat for the tests that follow
    });

    it('remove deactivates the installation and stops the watcher; install again re-activates', async () => {
      await h.adapter.turn(h.activity(ALEX, { type: 'installationUpdate', action: 'remove' }));
      assert.equal((await h.installations.get(idOf(ALEX)))?.active, false);
      assert.equal(h.supervisor.isWatching(ALEX.aadObjectId), false);
      assert.ok(h.log.has('info', 'bot removed'));

      await h.installAndConnect(ALEX);
      assert.equal((await h.installations.get(idOf(ALEX)))?.active, true);
      assert.ok(h.supervisor.isWatching(ALEX.aadObjectId));
    });

    it('a user whose account is not linked gets the welcome card that says so, and is not watched', async () => {
      const card = cardOf(only(await h.install(MEGAN)));
      assert.ok(cardHas(card, 'not linked'), cardTexts(card).join(' | '));
      assert.equal(h.supervisor.isWatching(MEGAN.aadObjectId), false);
      assert.equal((await h.installations.get(idOf(MEGAN)))?.active, true);
    });
  });

  describe('commands', () => {
    before(async () => {
      if (!h.supervisor.isWatching(ALEX.aadObjectId)) await h.installAndConnect(ALEX);
    });

    it('help shows the commands and that the account is linked', async () => {
      const card = cardOf(only(await h.say(ALEX, 'help')));
      assert.ok(cardHas(card, 'What you can type'));
      assert.ok(cardHas(card, 'alexw@example.com'), `the help card knows the account is linked: ${cardTexts(card).join(' | ')}`);
      assert.ok(!cardHas(card, 'not linked'));
    });

    it('<at>Bot</at> help works, in any case and with spaces', async () => {
      assert.ok(isHelpCard(only(await h.say(ALEX, '<at>Skype invitations</at>  HELP '))));
    });

    it('unknown text gets the help card', async () => {
      assert.ok(isHelpCard(only(await h.say(ALEX, 'what can you do?'))));
    });

    it('demo without demo hooks is unknown: the help card', async () => {
      const reply = only(await h.say(ALEX, 'demo'));
      assert.ok(isHelpCard(reply));
      assert.ok(!cardHas(cardOf(reply), 'demo'), 'the demo command is not offered');
    });

    it('status shows the linked SIP address, the connection and the open invitations', async () => {
      const subject = 'Status card budget sync';
      await h.invitation({ kind: 'onlineMeeting', subject });
      const card = cardOf(only(await h.say(ALEX, 'status')));
      const texts = cardTexts(card);
      assert.ok(cardHas(card, 'Skype account alexw@example.com'), texts.join(' | '));
      assert.ok(cardHas(card, 'Connected: watching for invitations'), texts.join(' | '));
      assert.ok(cardHas(card, 'Open invitations (1)'), texts.join(' | '));
      assert.ok(cardHas(card, subject));
      assert.ok(cardHas(card, 'Megan Bowen'));
    });

    it('the status button (Action.Submit {verb}) answers like the command', async () => {
      const card = cardOf(only(await h.adapter.turn(h.activity(ALEX, { type: 'message', value: { verb: 'status' } }))));
      assert.ok(cardHas(card, 'Skype account alexw@example.com'));
    });

    it('disconnect stops the watcher and deletes the account session; status then says not watching', async () => {
      assert.ok(await h.repositories.accounts.get(ALEX.aadObjectId), 'a session exists while watching');
      const reply = only(await h.say(ALEX, 'disconnect'));
      assert.match(reply.text ?? '', /^Disconnected/);
      assert.equal(h.supervisor.isWatching(ALEX.aadObjectId), false);
      assert.equal(await h.repositories.accounts.get(ALEX.aadObjectId), undefined, 'the session is forgotten');
      assert.equal((await h.installations.get(idOf(ALEX)))?.paused, true);

      // Any other message must not quietly start watching again.
      await h.say(ALEX, 'help');
      assert.equal(h.supervisor.isWatching(ALEX.aadObjectId), false, 'paused stays paused');
      const status = cardOf(only(await h.say(ALEX, 'status')));
      assert.ok(cardHas(status, 'Not watching'), cardTexts(status).join(' | '));
    });

    it('connect starts watching again', async () => {
      const reply = only(await h.say(ALEX, 'connect'));
      assert.match(reply.text ?? '', /^Connected/);
      assert.ok(h.supervisor.isWatching(ALEX.aadObjectId));
      assert.equal((await h.installations.get(idOf(ALEX)))?.paused, false);
      await untilWatcher(h.supervisor, 'the watcher to connect', () => (h.supervisor.status(ALEX.aadObjectId)?.state === 'connected' ? true : undefined));
    });

    it('connect and status for a user who is not linked say so', async () => {
      assert.match(only(await h.say(MEGAN, 'connect')).text ?? '', /not linked/);
      const status = cardOf(only(await h.say(MEGAN, 'status')));
      assert.ok(cardHas(status, 'No Skype for Business account is linked'), cardTexts(status).join(' | '));
      assert.equal(h.supervisor.isWatching(MEGAN.aadObjectId), false);
    });
  });
});

describe('InvitationBot: the demo command (TestAdapter)', function () {
  this.timeout(15_000);
  const calls: Array<{ aad: string; upn?: string; announcedFirst: boolean }> = [];
  const demo: DemoHooks = {
    sendDemoInvitations: async (aad, upn, announce) => {
      // The announcement is sent (awaited) before the invitations: no card can overtake it.
      let announced = false;
      await announce(3).then(() => (announced = true));
      calls.push({ aad, upn, announcedFirst: announced });
      return 3;
    },
  };
  let h: BotHarness;
  before(async () => {
    h = await BotHarness.start({ demo });
  });
  after(() => h?.stop());

  it('demo (typed or pressed) sends the demo invitations for the user', async () => {
    const welcome = cardOf((await h.install(MEGAN))[0]);
    assert.ok(JSON.stringify(welcome).includes('"verb":"demo"'), 'the welcome card offers the demo button');
    assert.match(only(await h.say(MEGAN, 'demo')).text ?? '', /Sending you 3 demo invitations/);
    assert.match(only(await h.adapter.turn(h.activity(MEGAN, { type: 'message', value: { verb: 'demo' } }))).text ?? '', /Sending you 3/);
    assert.deepEqual(calls, [
      { aad: MEGAN.aadObjectId, upn: undefined, announcedFirst: true },
      { aad: MEGAN.aadObjectId, upn: undefined, announcedFirst: true },
    ]);
    assert.ok(cardHas(cardOf(only(await h.say(MEGAN, 'help'))), 'demo'), 'help lists demo in demo mode');
  });
});
