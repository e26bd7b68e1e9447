// The phone number calls are answered on: a fact stored on the installation (the user's own from the `phone`
// command, else the accounts file's), which the cards read whether or not the account's watcher runs, and which the
// watcher follows. Real bot on TestAdapter, real WatcherSupervisor, real simulator.
import assert from 'node:assert/strict';
import type { Activity } from 'botbuilder';
import { ALEX, BotHarness, cardHas, cardOf, cardTexts, executeActions, idOf, poll, untilWatcher } from './helpers';

function textOf(sent: Array<Partial<Activity>>): string {
  assert.equal(sent.length, 1, `one reply, got ${sent.length}`);
  assert.equal(sent[0].attachments, undefined, 'a plain line, no card');
  return sent[0].text ?? '';
}

/** Waits until Alex is watched with `phone` and an application made available for PhoneAudio (or not) is parked. */
async function watchedWith(h: BotHarness, phone: string | undefined): Promise<void> {
  await untilWatcher(h.supervisor, `the watcher to run with ${phone ?? 'no number'}`, () => {
    const config = h.supervisor.config(idOf(ALEX));
    return config && config.phoneNumber === phone && h.supervisor.status(idOf(ALEX))?.state === 'connected' ? true : undefined;
  });
  await poll('the application to be available', async () => {
    const apps = (await (await fetch(`${h.sim.origin}/_sim/applications?user=alexw@example.com`)).json()) as Array<{ madeAvailable: boolean; parked: boolean; modalities: string[] }>;
    return apps.some((a) => a.madeAvailable && a.parked && a.modalities.includes('PhoneAudio') === !!phone) ? true : undefined;
  });
}

const CALL = { kind: 'audioVideo', from: { name: 'Pradeep Gupta', uri: 'sip:pradeepg@fabrikam.example', sourceNetwork: 'Federated' } };

describe('phone number for calls: the number from the accounts file', function () {
  this.timeout(20_000);
  let h: BotHarness;

  before(async () => {
    h = await BotHarness.start({ account: { phoneNumber: '+1 425 555 0100' } });
    await h.installAndConnect(ALEX);
  });
  after(() => h?.stop());

  it('is stored on the installation, so a call card keeps its Accept while the account is not being watched', async () => {
    assert.equal((await h.installations.get(idOf(ALEX)))?.linkedPhoneNumber, '+1 425 555 0100');
    const [, record] = await h.invitation({ ...CALL, subject: 'Call while watched' });
    const posted = await h.connector.waitFor('the call card', (reqs) => reqs.find((r) => r.kind === 'post' && cardHas(cardOf(r.body), 'Call while watched')));
    assert.deepEqual(executeActions(cardOf(posted.body)).map((a) => a.verb), ['accept', 'decline'], cardTexts(cardOf(posted.body)).join(' | '));

    await h.supervisor.stop(idOf(ALEX));
    assert.equal(h.supervisor.config(idOf(ALEX)), undefined, 'the account is not watched now');
    const redrawn = await h.invoke(ALEX, 'refresh', { invitationId: record.id, verb: 'refresh' }, posted.id);
    assert.equal(redrawn.body.statusCode, 200);
    assert.deepEqual(executeActions(redrawn.body.value).map((a) => a.verb), ['accept', 'decline'], 'Accept is still offered');
    assert.ok(JSON.stringify(redrawn.body.value).includes('Answer on my phone'));

    // Any message watches the account again.
    await h.say(ALEX, 'status');
    await watchedWith(h, '+1 425 555 0100');
  });

  it('"phone" shows it; the user\'s own number wins over it, and "phone clear" falls back to it', async () => {
    assert.match(textOf(await h.say(ALEX, 'phone')), /ring \+1 425 555 0100, the number your administrator set/);
    assert.match(textOf(await h.say(ALEX, 'phone +44 20 7946 0958')), /^Saved\. Calls you answer here ring \+442079460958\./);
    await watchedWith(h, '+442079460958');
    assert.match(textOf(await h.say(ALEX, 'Phone clear')), /^Removed\. Calls you answer here ring \+1 425 555 0100, the number your administrator set/);
    await watchedWith(h, '+1 425 555 0100');
    assert.equal((await h.installations.get(idOf(ALEX)))?.phoneNumber, undefined);
  });
});

describe('phone number for calls: the phone command without a number in the accounts file', function () {
  this.timeout(20_000);
  let h: BotHarness;

  before(async () => {
    h = await BotHarness.start();
    await h.installAndConnect(ALEX);
  });
  after(() => h?.stop());

  it('"phone" alone says that none is set and how to set one', async () => {
    assert.match(textOf(await h.say(ALEX, 'phone')), /^No phone number is set, so calls cannot be answered from Teams\. Say "phone <number>"/);
  });

  it('a number that is not one is refused in one line, and nothing is stored', async () => {
    for (const bad of ['phone call me maybe', 'phone 555 01', 'phone +1 425 555 0100 ext 7']) {
      const line = textOf(await h.say(ALEX, bad));
      assert.match(line, /^That is not a phone number I can use: .+ For example: phone \+1 425 555 0100$/, line);
      assert.doesNotMatch(line, /\n/);
    }
    assert.equal((await h.installations.get(idOf(ALEX)))?.phoneNumber, undefined);
    assert.equal(h.supervisor.config(idOf(ALEX))?.phoneNumber, undefined);
  });

  it('a valid number is stored normalised, the watcher rings it, a call can then be answered on it, and no log line holds it', async () => {
    const [, before] = await h.invitation({ ...CALL, subject: 'Call before the number' });
    const first = await h.connector.waitFor('the first call card', (reqs) => reqs.find((r) => r.kind === 'post' && cardHas(cardOf(r.body), 'Call before the number')));
    assert.deepEqual(executeActions(cardOf(first.body)).map((a) => a.verb), ['decline'], 'no number: no Accept');
    assert.ok(before);

    const reply = textOf(await h.say(ALEX, 'phone +1 (425) 555-0123'));
    assert.equal(reply, 'Saved. Calls you answer here ring +14255550123. Say "phone clear" to remove it.');
    assert.equal((await h.installations.get(idOf(ALEX)))?.phoneNumber, '+14255550123');
    await watchedWith(h, '+14255550123');

    const [simId, record] = await h.invitation({ ...CALL, subject: 'Call after the number' });
    const posted = await h.connector.waitFor('the second call card', (reqs) => reqs.find((r) => r.kind === 'post' && cardHas(cardOf(r.body), 'Call after the number')));
    assert.deepEqual(executeActions(cardOf(posted.body)).map((a) => a.verb), ['accept', 'decline']);
    const res = await h.invoke(ALEX, 'accept', { invitationId: record.id, verb: 'accept' }, posted.id);
    assert.equal(res.body.statusCode, 200);
    const sim = await poll('the pool to answer the call on the phone', async () => {
      const s = await h.admin.get(simId);
      return s.actions.some((a) => a.action === 'acceptWithPhoneAudio') ? s : undefined;
    });
    assert.ok(sim.actions.some((a) => a.action === 'acceptWithPhoneAudio' && a.status < 300), JSON.stringify(sim.actions));

    const logged = JSON.stringify(h.log.entries);
    assert.doesNotMatch(logged, /4255550123|425\) 555-0123/, 'the number is never logged whole');
    assert.match(logged, /\*{9}23/, 'a masked form is');
  });

  it('is only kept in the personal chat', async () => {
    const group = { id: '19:group@thread.v2', conversationType: 'groupChat', isGroup: true } as never;
    const line = textOf(await h.say(ALEX, 'phone +1 425 555 0199', group));
    assert.match(line, /only in our personal chat/);
    assert.equal((await h.installations.get(idOf(ALEX)))?.phoneNumber, '+14255550123');
  });
});
