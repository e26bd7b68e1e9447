// The bot as a real process on a SQLite file it may read but not write (a read-only file, as after a bad restore or
// a wrong permission): it starts, /readyz answers 503 with storage 'refusesWrites' (never the error text), the log
// has one error line for it (not a warning per retry of the event channel), and no card is posted.
//
// Tests run as root here, and root writes to a read-only file regardless of its mode. The process therefore runs as
// the unprivileged user `nobody` when the tests run as root: the file's mode then really stops its writes, as it
// does for any non-root service account.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TeamsInstallations } from '../../bot/installations';
import { accountIdOf, SqliteStorage } from '../../src/store';
import { UcwaSimulator, demoUsers } from '../../src/simulator';
import { FakeConnector } from '../bot/helpers';
import { eventually, freePort } from '../support/ports';
import { BotProcess } from './bot-process';

const ALEX = 'alexw@example.com';
const ALEX_AAD = 'aaaaaaaa-1111-4111-8111-00000000a1e5';
const NOBODY = { uid: 65534, gid: 65534 };

interface LogLine {
  level: string;
  message: string;
}

function logLines(log: string): LogLine[] {
  return log
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

describe('end to end: the bot process on a store that refuses writes', function () {
  this.timeout(60_000);
  let sim: UcwaSimulator;
  let connector: FakeConnector;
  let bot: BotProcess | undefined;
  let dbFile: string;

  before(async () => {
    sim = await new UcwaSimulator({ timeScale: 0.05, users: demoUsers() }).start();
    connector = await FakeConnector.start();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bot-readonly-'));
    // The folder stays writable (SQLite keeps its -wal/-shm files there); only the database file is read-only.
    chmodSync(dir, 0o777);
    dbFile = path.join(dir, 'bot.db');
    // Alex installed the bot before the file became read-only: at start the bot watches the account.
    const seed = new SqliteStorage(dbFile);
    await new TeamsInstallations(seed).saveReference(accountIdOf(ALEX_AAD)!, {
      channelId: 'msteams',
      serviceUrl: connector.url,
      conversation: { id: `a:personal-${ALEX_AAD}`, conversationType: 'personal', isGroup: false, name: '' },
      bot: { id: '28:bot', name: 'Skype invitations' },
      user: { id: '29:alex-mri', name: 'Alex Wilber', aadObjectId: ALEX_AAD },
    }, { upn: accountIdOf(ALEX) });
    await seed.close();
    chmodSync(dbFile, 0o444);
    const accountsFile = path.join(dir, 'accounts.json');
    writeFileSync(accountsFile, JSON.stringify([{ teamsUser: ALEX, sip: `sip:${ALEX}`, username: ALEX, passwordEnv: 'ALEX_SFB_PASSWORD' }]), { mode: 0o644 });
    const env = { UCWA_DISCOVERY_URL: sim.discoveryUrl, UCWA_AUTH: 'password', UCWA_ACCOUNTS_FILE: accountsFile, ALEX_SFB_PASSWORD: 'demo', STORAGE_URL: `sqlite:${dbFile}` };
    bot = await BotProcess.start(await freePort(), env, process.getuid?.() === 0 ? NOBODY : undefined);
  });

  after(async () => {
    await bot?.kill();
    await connector?.stop();
    await sim?.stop();
  });

  it('is unready with storage refusesWrites, logs one error line, and posts nothing', async () => {
    const readyz = await eventually('/readyz to answer after start-up', async () => {
      const res = await fetch(`http://127.0.0.1:${bot!.port}/readyz`);
      const body = (await res.json()) as { ready: boolean; checks: Record<string, string> };
      return body.checks.storage ? { status: res.status, body } : undefined;
    });
    assert.equal(readyz.status, 503, JSON.stringify(readyz.body));
    assert.equal(readyz.body.checks.storage, 'refusesWrites');
    assert.doesNotMatch(JSON.stringify(readyz.body), /bot\.db|readonly|SQLITE|tmp/i, 'no path or error text in the answer');

    // Without a writable store no instance can claim the account's partition, so nothing watches it: the pool keeps
    // the invitation, and the watcher that starts once the store takes writes again finds it by its first resync.
    await eventually('a partition lease round to fail', () =>
      logLines(bot!.log).some((l) => l.message === 'partition lease round failed') ? true : undefined,
    );
    const res = await fetch(`${sim.origin}/_sim/invitations`, {
      method: 'POST',
      body: JSON.stringify({ to: ALEX, kind: 'messaging', from: { name: 'Megan Bowen', uri: 'sip:meganb@example.com' }, subject: 'Cannot be stored', answerWindowSeconds: 100_000 }),
    });
    assert.equal(res.status, 201);
    const apps = (await (await fetch(`${sim.origin}/_sim/applications?user=${ALEX}`)).json()) as Array<{ madeAvailable: boolean }>;
    assert.equal(apps.filter((a) => a.madeAvailable).length, 0, 'no watcher runs for an account this instance could not claim');
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`http://127.0.0.1:${bot!.port}/readyz`)).status, 503);

    const lines = logLines(bot!.log);
    const errors = lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0].message, /store refuses writes/);
    assert.deepEqual(lines.filter((l) => l.level === 'warn' && /event channel retry|could not save/.test(l.message)), [], 'no warning per failed retry');
    assert.equal(connector.posts().length, 0, 'no card can be posted for an invitation that could not be stored');
  });
});
