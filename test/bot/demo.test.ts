// The local demo's script as a newcomer meets it: the meeting invitation, once accepted, does not wait in the lobby
// forever; the simulated organizer admits the user a few seconds later.
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { DemoEnvironment } from '../../bot/demo';
import { Ev, link, Session, text } from '../simulator/helpers';
import { accountIdOf } from '../../src/store';

describe('the local demo', () => {
  let clock: sinon.SinonFakeTimers | undefined;
  let demo: DemoEnvironment | undefined;
  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await demo?.stop();
    demo = undefined;
  });

  it('sends nothing and announces nothing while the user\'s demo account is not connected', async () => {
    demo = await DemoEnvironment.start(0);
    const announced: number[] = [];
    assert.equal(await demo.sendDemoInvitations(accountIdOf('aad-alex')!, 'alexw@example.com', async (n) => void announced.push(n)), 0);
    assert.deepEqual(announced, []);
  });

  it('admits the user from the meeting lobby a few seconds after Accept', async () => {
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout'] });
    demo = await DemoEnvironment.start(0);
    const session = await Session.signIn(demo.simulator.origin, 'alexw@example.com');
    const app = await session.createApplication();
    await app.makeMeAvailable(['Messaging', 'Audio']);
    const reader = app.events();
    const announced: number[] = [];
    assert.equal(await demo.sendDemoInvitations(accountIdOf('aad-alex')!, 'alexw@example.com', async (n) => void announced.push(n)), 3);
    assert.deepEqual(announced, [3]);

    const isMeeting = (e: Ev) => e.link.rel === 'onlineMeetingInvitation';
    await reader.until((all) => all.some((e) => isMeeting(e) && e.type === 'started'));
    const started = reader.all.find((e) => isMeeting(e) && e.type === 'started')!;
    assert.equal((await session.post(link(started.resource!, 'accept'))).status, 204);
    await reader.until((all) => all.some((e) => e.type === 'updated' && e.link.rel === 'conversation' && text(e.resource!, 'state') === 'InLobby'));
    assert.equal(reader.all.some((e) => isMeeting(e) && e.type === 'completed'), false, 'still waiting in the lobby');

    clock.tick(10_000);
    await reader.until((all) => all.some((e) => isMeeting(e) && e.type === 'completed'));
    assert.equal(reader.all.find((e) => isMeeting(e) && e.type === 'completed')!.status, 'Success');
  });
});
