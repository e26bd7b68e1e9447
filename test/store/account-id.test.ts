// The edge where account ids and phone numbers enter: one normal form whatever a person or Teams typed.
import assert from 'node:assert/strict';
import { accountIdOf, sipAddressOf, sipAddressOfUpn } from '../../src/store/account-id';
import { maskPhoneNumber, parsePhoneNumber } from '../../src/store/phone-number';

describe('account ids at the edge', () => {
  it('an Entra object id or UPN: trimmed and lower-cased; nothing for an empty or missing value', () => {
    assert.equal(accountIdOf(' AAAAAAAA-1111-4111-8111-00000000A1E5\t'), 'aaaaaaaa-1111-4111-8111-00000000a1e5');
    assert.equal(accountIdOf('Alex.Wilber@Contoso.COM'), 'alex.wilber@contoso.com');
    assert.equal(accountIdOf(accountIdOf('Alex@Contoso.com')), 'alex@contoso.com', 'normalising twice changes nothing');
    for (const empty of ['', '   ', undefined, null, 42]) assert.equal(accountIdOf(empty), undefined, String(empty));
  });

  it('a SIP address: the scheme in any case, spaces around, lower-cased; a bare address or a malformed one is refused', () => {
    assert.equal(sipAddressOf('  SIP:Alex@Contoso.com '), 'sip:alex@contoso.com');
    assert.equal(sipAddressOf('sip:alex@contoso.com'), 'sip:alex@contoso.com');
    for (const bad of ['alex@contoso.com', 'sip:alex', 'sip:al ex@contoso.com', 'sip:a@b@c', 'tel:+1425', '', undefined]) {
      assert.equal(sipAddressOf(bad), undefined, String(bad));
    }
  });

  it('a signed-in user\'s SIP address is sip: and their UPN', () => {
    assert.equal(sipAddressOfUpn(' Alex@Contoso.com '), 'sip:alex@contoso.com');
    assert.equal(sipAddressOfUpn('not-an-address'), undefined);
  });
});

describe('phone numbers at the edge', () => {
  it('accepts an optional +, 7 to 15 digits, spaces, dashes and parentheses; stores only + and digits', () => {
    assert.deepEqual(parsePhoneNumber(' +1 (425) 555-0100 '), { ok: true, number: '+14255550100' });
    assert.deepEqual(parsePhoneNumber('0049 30 1234567'), { ok: true, number: '0049301234567' });
    assert.deepEqual(parsePhoneNumber('5550100'), { ok: true, number: '5550100' });
    assert.deepEqual(parsePhoneNumber('+123456789012345'), { ok: true, number: '+123456789012345' });
  });

  it('refuses letters, other signs, a + inside, and too few or too many digits, saying why in one sentence', () => {
    for (const bad of ['call me', '+1 425 555 0100 ext 2', '425.555.0100', '1+4255550100', '++14255550100', 'tel:+14255550100']) {
      const parsed = parsePhoneNumber(bad);
      assert.equal(parsed.ok, false, bad);
      if (!parsed.ok) assert.match(parsed.problem, /only digits, a leading \+/);
    }
    const short = parsePhoneNumber('555-010');
    assert.deepEqual(short, { ok: false, problem: 'A phone number needs 7 to 15 digits (this one has 6).' });
    assert.equal(parsePhoneNumber('+1234567890123456').ok, false);
    assert.equal(parsePhoneNumber('').ok, false);
  });

  it('masks all but the last two digits for logs', () => {
    assert.equal(maskPhoneNumber('+14255550100'), '+*********00');
    assert.equal(maskPhoneNumber('+1 425 555 0100'), '+* *** *** **00');
  });
});
