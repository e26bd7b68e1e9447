// The accounts file (UCWA_ACCOUNTS_FILE): one-line errors that name the variable and never echo a password, and the
// lookup of a Teams user's linked account by UPN or Entra object id.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoAccountsFileNotice, findLinkedAccount, loadAccountsFile, LinkedAccount } from '../../bot/accounts';
import { accountIdOf, sipAddressOf } from '../../src/store';

const PASSWORD = 'File-Pa55word!inline';
const ENV_PASSWORD = 'Env-Pa55word!from-env';

describe('accounts file (loadAccountsFile)', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'bot-accounts-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  let n = 0;
  const file = (content: unknown) => {
    const p = path.join(dir, `accounts-${n++}.json`);
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return p;
  };

  function refuses(p: string, problem: RegExp, env: NodeJS.ProcessEnv = {}, mode: 'password' | 'azure' = 'password'): void {
    assert.throws(
      () => loadAccountsFile(p, env, mode),
      (err: unknown) => {
        const e = err as Error & { variable?: string };
        assert.equal(e.name, 'ConfigError');
        assert.equal(e.variable, 'UCWA_ACCOUNTS_FILE');
        assert.ok(e.message.startsWith('UCWA_ACCOUNTS_FILE: '), e.message);
        assert.match(e.message, problem);
        assert.ok(!/[\r\n]/.test(e.message), 'one line');
        assert.ok(!e.message.includes(PASSWORD) && !e.message.includes(ENV_PASSWORD), `a password was echoed: ${e.message}`);
        return true;
      },
    );
  }

  it('loads accounts, lower-cases ids, takes passwords from the environment or the file', () => {
    const p = file([
      { teamsUser: 'Alex.Wilber@Contoso.com', sip: 'SIP:alex@contoso.com', passwordEnv: 'ALEX_PW', phoneNumber: ' +1 425 555 0100 ' },
      { teamsUser: 'BBBBBBBB-2222-4222-8222-0000000BE6A2', sip: 'sip:megan@contoso.com', username: 'CONTOSO\\megan', password: PASSWORD },
    ]);
    const accounts = loadAccountsFile(p, { ALEX_PW: ENV_PASSWORD }, 'password');
    assert.deepEqual(accounts, [
      { teamsUser: 'alex.wilber@contoso.com', sip: 'sip:alex@contoso.com', username: 'alex@contoso.com', password: ENV_PASSWORD, phoneNumber: '+1 425 555 0100' },
      { teamsUser: 'bbbbbbbb-2222-4222-8222-0000000be6a2', sip: 'sip:megan@contoso.com', username: 'CONTOSO\\megan', password: PASSWORD },
    ]);
  });

  it('azure mode needs no password', () => {
    const accounts = loadAccountsFile(file([{ teamsUser: 'alex@contoso.com', sip: 'sip:alex@contoso.com' }]), {}, 'azure');
    assert.deepEqual(accounts, [{ teamsUser: 'alex@contoso.com', sip: 'sip:alex@contoso.com' }]);
  });

  it('a missing file, bad JSON, or not an array', () => {
    refuses(path.join(dir, 'nope.json'), /cannot read .*nope\.json \(ENOENT\)/);
    // The JSON parser's own message can quote the file: it must not reach the error.
    refuses(file(`[{"teamsUser":"alex@contoso.com","sip":"sip:alex@contoso.com","password":"${PASSWORD}",}]`), /is not valid JSON$/);
    refuses(file({ teamsUser: 'alex@contoso.com', sip: 'sip:alex@contoso.com', password: PASSWORD }), /must hold a JSON array/);
    refuses(file([`sip:alex@contoso.com ${PASSWORD}`]), /entry 0 must be an object/);
  });

  it('each entry needs teamsUser and a sip address, and a Teams user is listed once', () => {
    refuses(file([{ sip: 'sip:alex@contoso.com', password: PASSWORD }]), /entry 0: "teamsUser" .* is required/);
    refuses(file([{ teamsUser: '  ', sip: 'sip:alex@contoso.com', password: PASSWORD }]), /entry 0: "teamsUser"/);
    refuses(file([{ teamsUser: 'alex@contoso.com', password: PASSWORD }]), /entry 0: "sip" must look like sip:user@domain/);
    refuses(file([{ teamsUser: 'alex@contoso.com', sip: 'alex@contoso.com', password: PASSWORD }]), /"sip" must look like/);
    refuses(
      file([
        { teamsUser: 'alex@contoso.com', sip: 'sip:alex@contoso.com', password: PASSWORD },
        { teamsUser: 'ALEX@contoso.com', sip: 'sip:alex2@contoso.com', password: PASSWORD },
      ]),
      /entry 1: teamsUser alex@contoso.com is listed twice/,
    );
  });

  it('password mode: passwordEnv must be set, and some password must be given', () => {
    refuses(file([{ teamsUser: 'alex@contoso.com', sip: 'sip:alex@contoso.com', passwordEnv: 'ALEX_PW' }]), /environment variable ALEX_PW \(passwordEnv\) is empty or not set/);
    refuses(file([{ teamsUser: 'alex@contoso.com', sip: 'sip:alex@contoso.com', passwordEnv: 'ALEX_PW' }]), /ALEX_PW/, { ALEX_PW: '' });
    refuses(file([{ teamsUser: 'alex@contoso.com', sip: 'sip:alex@contoso.com' }]), /"passwordEnv" \(preferred\) or "password" is required when UCWA_AUTH=password/);
    refuses(file([{ teamsUser: 'alex@contoso.com', sip: 'sip:alex@contoso.com', password: '' }]), /is required/);
  });
});

describe('an accounts file in the local demo (demoAccountsFileNotice)', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'demo-accounts-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('says in one line that a missing file cannot be read and that the demo does not use it', () => {
    const notice = demoAccountsFileNotice(path.join(dir, 'missing.json'), {});
    assert.match(notice ?? '', /^UCWA_ACCOUNTS_FILE: cannot read .*missing\.json \(ENOENT\); the local demo does not use it/);
    assert.doesNotMatch(notice!, /\n/);
  });

  it('names an invalid file as invalid', () => {
    const p = path.join(dir, 'broken.json');
    writeFileSync(p, '{ not json');
    assert.match(demoAccountsFileNotice(p, {}) ?? '', /^UCWA_ACCOUNTS_FILE: .*broken\.json is not valid JSON; the local demo does not use it/);
  });

  it('says that a valid file is ignored, and says nothing when none is set', () => {
    const p = path.join(dir, 'ok.json');
    writeFileSync(p, JSON.stringify([{ teamsUser: 'a@contoso.com', sip: 'sip:a@contoso.com', password: PASSWORD }]));
    const notice = demoAccountsFileNotice(p, {}) ?? '';
    assert.match(notice, /ok\.json is ignored: the local demo does not use it/);
    assert.ok(!notice.includes(PASSWORD));
    assert.equal(demoAccountsFileNotice(undefined, {}), undefined);
  });
});

describe('findLinkedAccount', () => {
  // Ids are normalised where they enter (accountIdOf), so that a lookup compares them as they are.
  const id = (raw: string) => accountIdOf(raw);
  const accounts: LinkedAccount[] = [
    { teamsUser: id('alex@contoso.com')!, sip: sipAddressOf('sip:alex@contoso.com')! },
    { teamsUser: id('bbbbbbbb-2222-4222-8222-0000000be6a2')!, sip: sipAddressOf('sip:megan@contoso.com')! },
  ];

  it('finds by UPN, whatever its case as Teams gave it', () => {
    assert.equal(findLinkedAccount(accounts, id('cccccccc-0000-4000-8000-000000000000'), id('Alex@CONTOSO.com'))?.sip, 'sip:alex@contoso.com');
    assert.equal(findLinkedAccount(accounts, undefined, id(' ALEX@contoso.com '))?.sip, 'sip:alex@contoso.com');
  });

  it('finds by Entra object id, whatever its case as Teams gave it', () => {
    assert.equal(findLinkedAccount(accounts, id('BBBBBBBB-2222-4222-8222-0000000BE6A2'), undefined)?.sip, 'sip:megan@contoso.com');
    assert.equal(findLinkedAccount(accounts, id('bbbbbbbb-2222-4222-8222-0000000be6a2'), id('someone@contoso.com'))?.sip, 'sip:megan@contoso.com');
  });

  it('finds nothing for other users or without ids', () => {
    assert.equal(findLinkedAccount(accounts, id('cccccccc-0000-4000-8000-000000000000'), id('nestor@contoso.com')), undefined);
    assert.equal(findLinkedAccount(accounts, undefined, undefined), undefined);
    assert.equal(findLinkedAccount(accounts, id(''), id('  ')), undefined);
  });
});
