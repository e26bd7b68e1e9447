// Installations: every change is a guarded read-modify-write, so two writers that change different fields at the
// same time both keep their change, on every storage the bot runs on.
import assert from 'node:assert/strict';
import { accountIdOf } from '../../src/store/account-id';
import { InstallationRepository } from '../../src/store/installation-repository';
import type { PhoneNumber } from '../../src/store/phone-number';
import type { ClosableStorage } from '../../src/store/storage';
import { HookedStorage, storageFactories, TempDirs } from './helpers';

const ALEX = accountIdOf('aaaaaaaa-1111-4111-8111-00000000a1e5')!;
const CHAT = { conversation: { id: 'a:personal-alex' }, user: { id: '29:alex' } };
const NEW_CHAT = { conversation: { id: 'a:personal-alex-2' }, user: { id: '29:alex' } };

for (const factory of storageFactories) {
  describe(`InstallationRepository on ${factory.name}`, () => {
    const temp = new TempDirs();
    let inner: ClosableStorage;
    let storage: HookedStorage;
    let repo: InstallationRepository;
    before(() => factory.setUp?.());
    beforeEach(async () => {
      inner = factory.open(temp);
      storage = new HookedStorage(inner);
      repo = new InstallationRepository(storage);
      await repo.saveReference(ALEX, CHAT, { name: 'Alex Wilber' });
    });
    afterEach(() => inner.close());
    after(() => temp.cleanup());

    it('a connection notice noted while a message refreshes the reference survives, and so does the reference', async () => {
      // The notice is written between the message's read and its write (as when both run at once).
      storage.beforeNextWrite(async () => void (await repo.update(ALEX, { connectionNotice: 'unreachable' })));
      await repo.saveReference(ALEX, NEW_CHAT, { timeZone: 'Europe/Berlin' });
      const stored = await repo.get(ALEX);
      assert.equal(stored?.connectionNotice, 'unreachable', 'the notice survives');
      assert.equal(stored?.reference.conversation?.id, 'a:personal-alex-2', 'the reference survives');
      assert.equal(stored?.timeZone, 'Europe/Berlin');
    });

    it('two updates of different fields at once both survive', async () => {
      storage.beforeNextWrite(async () => void (await repo.update(ALEX, { phoneNumber: '+14255550100' as PhoneNumber })));
      await repo.update(ALEX, { paused: true });
      const stored = await repo.get(ALEX);
      assert.equal(stored?.paused, true);
      assert.equal(stored?.phoneNumber, '+14255550100');
    });

    it('a refused delivery does not deactivate an installation that moved to another chat meanwhile', async () => {
      storage.beforeNextWrite(async () => void (await repo.saveReference(ALEX, NEW_CHAT)));
      assert.equal(await repo.deactivateConversation(ALEX, 'a:personal-alex'), false);
      assert.equal((await repo.get(ALEX))?.active, true);
      assert.equal(await repo.deactivateConversation(ALEX, 'a:personal-alex-2'), true);
      assert.equal((await repo.get(ALEX))?.active, false);
    });

    it('a fresh reference from Teams keeps every other fact, re-activates, and is no longer one the bot made', async () => {
      await repo.update(ALEX, { paused: true, signedIn: true, phoneNumber: '+14255550100' as PhoneNumber, linkedPhoneNumber: '+1 425 555 0199', active: false });
      assert.equal(await repo.replaceLostConversation(ALEX, 'a:personal-alex', NEW_CHAT), true);
      assert.equal((await repo.get(ALEX))?.recreated, true);
      const after = await repo.saveReference(ALEX, CHAT);
      assert.deepEqual(
        { paused: after.paused, signedIn: after.signedIn, phone: after.phoneNumber, linked: after.linkedPhoneNumber, active: after.active, recreated: after.recreated, name: after.name },
        { paused: true, signedIn: true, phone: '+14255550100', linked: '+1 425 555 0199', active: true, recreated: undefined, name: 'Alex Wilber' },
      );
      assert.deepEqual((await repo.list()).map((i) => i.aadObjectId), [ALEX]);
    });

    it('keeps the stored key of earlier versions (sfb/installations/<lower-case object id>)', async () => {
      assert.deepEqual(await inner.keysWithPrefix('sfb/installations/'), [`sfb/installations/${ALEX}`]);
    });
  });
}
