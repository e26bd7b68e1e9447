import assert from 'node:assert/strict';
import { findMsRtcOAuth, parseWwwAuthenticate } from '../../src/ucwa/challenge';

const BEARER =
  'Bearer trusted_issuers="00000002-0000-0ff1-ce00-000000000000@contoso.com", client_id="00000004-0000-0ff1-ce00-000000000000"';
const MSRTC =
  'MsRtcOAuth href="https://lyncweb.contoso.com/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"';

const expected = [
  {
    scheme: 'Bearer',
    params: {
      trusted_issuers: '00000002-0000-0ff1-ce00-000000000000@contoso.com',
      client_id: '00000004-0000-0ff1-ce00-000000000000',
    },
  },
  {
    scheme: 'MsRtcOAuth',
    params: {
      href: 'https://lyncweb.contoso.com/WebTicket/oauthtoken',
      grant_type: 'urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password',
    },
  },
];

describe('ucwa/challenge', () => {
  it('parses two header lines', () => {
    assert.deepEqual(parseWwwAuthenticate([BEARER, MSRTC]), expected);
  });

  it('parses one comma-joined header with commas inside quoted values', () => {
    assert.deepEqual(parseWwwAuthenticate(`${BEARER}, ${MSRTC}`), expected);
    assert.deepEqual(parseWwwAuthenticate(`${BEARER},${MSRTC}`), expected);
  });

  it('reads unquoted values such as href=https://...', () => {
    const [challenge] = parseWwwAuthenticate(
      'MsRtcOAuth href=https://lyncweb.contoso.com/WebTicket/oauthtoken,grant_type="urn:microsoft.rtc:windows,password"',
    );
    assert.deepEqual(challenge.params, {
      href: 'https://lyncweb.contoso.com/WebTicket/oauthtoken',
      grant_type: 'urn:microsoft.rtc:windows,password',
    });
  });

  it('unescapes quoted-pairs inside quoted strings', () => {
    const [challenge] = parseWwwAuthenticate('Basic realm="say \\"hi\\", a\\\\b", charset="UTF-8"');
    assert.deepEqual(challenge.params, { realm: 'say "hi", a\\b', charset: 'UTF-8' });
  });

  it('lower-cases parameter names, keeps the first duplicate, and tolerates spaces around =', () => {
    const [challenge] = parseWwwAuthenticate('Bearer Realm = "a", realm="b", ERROR="invalid_token"');
    assert.deepEqual(challenge.params, { realm: 'a', error: 'invalid_token' });
  });

  it('finds MsRtcOAuth whatever the scheme case', () => {
    const challenges = parseWwwAuthenticate(['bearer realm="x"', MSRTC.replace('MsRtcOAuth', 'MSRTCOAUTH')]);
    assert.deepEqual(findMsRtcOAuth(challenges), {
      href: 'https://lyncweb.contoso.com/WebTicket/oauthtoken',
      grantTypes: ['urn:microsoft.rtc:windows', 'urn:microsoft.rtc:anonmeeting', 'password'],
    });
    assert.deepEqual(findMsRtcOAuth(parseWwwAuthenticate(`${BEARER}, ${MSRTC}`))?.grantTypes, [
      'urn:microsoft.rtc:windows',
      'urn:microsoft.rtc:anonmeeting',
      'password',
    ]);
  });

  it('reads the SfB Online variant (authorization_uri, passive grant)', () => {
    const header =
      'Bearer trusted_issuers="00000001-0000-0000-c000-000000000000@*", client_id="00000004-0000-0ff1-ce00-000000000000", ' +
      'authorization_uri="https://login.windows.net/common/oauth2/authorize", ' +
      'MsRtcOAuth href="https://webdir0b.online.lync.com/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:passive,urn:microsoft.rtc:anonmeeting"';
    const challenges = parseWwwAuthenticate(header);
    assert.equal(challenges[0].params.authorization_uri, 'https://login.windows.net/common/oauth2/authorize');
    assert.deepEqual(findMsRtcOAuth(challenges)?.grantTypes, ['urn:microsoft.rtc:passive', 'urn:microsoft.rtc:anonmeeting']);
  });

  it('reads schemes without parameters and token68 credentials', () => {
    assert.deepEqual(parseWwwAuthenticate('Negotiate, NTLM'), [
      { scheme: 'Negotiate', params: {} },
      { scheme: 'NTLM', params: {} },
    ]);
    assert.deepEqual(parseWwwAuthenticate('Negotiate oYIBBjCCAQKgAwoBAaKB==, Basic realm="r"'), [
      { scheme: 'Negotiate', params: {}, token68: 'oYIBBjCCAQKgAwoBAaKB==' },
      { scheme: 'Basic', params: { realm: 'r' } },
    ]);
  });

  it('returns no MsRtcOAuth when it is missing or has no href', () => {
    assert.equal(findMsRtcOAuth(parseWwwAuthenticate(BEARER)), undefined);
    assert.equal(findMsRtcOAuth(parseWwwAuthenticate('MsRtcOAuth grant_type="password"')), undefined);
    assert.deepEqual(findMsRtcOAuth(parseWwwAuthenticate('MsRtcOAuth href="https://h/t"')), { href: 'https://h/t', grantTypes: [] });
  });

  it('never throws on odd input', () => {
    assert.deepEqual(parseWwwAuthenticate(undefined), []);
    assert.deepEqual(parseWwwAuthenticate([]), []);
    assert.deepEqual(parseWwwAuthenticate(''), []);
    assert.deepEqual(parseWwwAuthenticate(' , ,'), []);
    assert.deepEqual(parseWwwAuthenticate('="x", Bearer realm="unterminated'), [
      { scheme: 'Bearer', params: { realm: 'unterminated' } },
    ]);
    const [challenge] = parseWwwAuthenticate('Bearer __proto__="x", realm="r"');
    assert.deepEqual(challenge.params, { realm: 'r' });
    assert.equal(Object.getPrototypeOf(challenge.params), Object.prototype);
  });
});
