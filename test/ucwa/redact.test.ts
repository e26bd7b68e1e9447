import assert from 'node:assert/strict';
import { REDACTED, redact, redactHeaders } from '../../src/ucwa/redact';

const CWT = 'cwt=AAEBHAEFAAAAAAAFFQAAAKH2+/ttXCO8q4lMQ==';
const JWT = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3dlYmRpciJ9.c2lnbmF0dXJl';

function assertHidden(text: string, ...secrets: string[]): void {
  const out = redact(text);
  for (const secret of secrets) assert.ok(!out.includes(secret), `leaked ${secret} in ${out}`);
  assert.ok(out.includes(REDACTED), out);
}

describe('ucwa/redact', () => {
  describe('redact', () => {
    it('masks Bearer cwt= and Bearer JWT tokens', () => {
      assertHidden(`sending Bearer ${CWT} to host`, 'AAEBHAEFAAAAAAAFFQ');
      assert.equal(redact(`token Bearer ${JWT} end`), `token Bearer ${REDACTED} end`);
      assertHidden(`{"auth":"Bearer ${JWT}"}`, JWT.slice(0, 20));
    });

    it('masks Authorization header values, in header dumps and in JSON', () => {
      assert.equal(redact(`GET /x\r\nAuthorization: Bearer ${CWT}\r\nAccept: application/json`), `GET /x\r\nAuthorization: ${REDACTED}\r\nAccept: application/json`);
      assert.equal(redact('authorization: Basic dXNlcjpwYXNz'), `authorization: ${REDACTED}`);
      assert.equal(redact('Proxy-Authorization: NTLM TlRMTVNTUAAB'), `Proxy-Authorization: ${REDACTED}`);
      assert.equal(redact('{"Authorization":"Basic dXNlcjpwYXNz","accept":"json"}'), `{"Authorization":"${REDACTED}","accept":"json"}`);
    });

    it('masks access_token and friends in JSON and form bodies', () => {
      const json = `{"access_token":"${CWT}","token_type":"Bearer","expires_in":28364,"refresh_token":"r3fr3sh","id_token": "${JWT}"}`;
      assert.equal(
        redact(json),
        `{"access_token":"${REDACTED}","token_type":"Bearer","expires_in":28364,"refresh_token":"${REDACTED}","id_token": "${REDACTED}"}`,
      );
      assertHidden(`access_token=${encodeURIComponent(CWT)}&token_type=Bearer`, 'AAEBHAEFAAAAAAAFFQ');
      assertHidden('https://app/#access_token=abc.def.ghi&expires_in=3600', 'abc.def.ghi');
      assertHidden(`grant_type=urn:microsoft.rtc:anonmeeting&ms_rtc_renew=${encodeURIComponent(CWT)}`, 'AAEBHAEFAAAAAAAFFQ');
    });

    it('masks password form values and JSON password members', () => {
      assert.equal(
        redact('grant_type=password&username=alice%40contoso.com&password=P%40ss+w0rd%21&resource=x'),
        `grant_type=password&username=alice%40contoso.com&password=${REDACTED}&resource=x`,
      );
      assertHidden("password=it's-secret", "it's-secret", 's-secret');
      assert.equal(redact('{"username":"alice","password":"p\\"w,}d"}'), `{"username":"alice","password":"${REDACTED}"}`);
      assert.equal(redact('{"Password": 123456}'), `{"Password": "${REDACTED}"}`);
      assertHidden('{"sip":"sip:a@b","userPassword":"hunter2"}', 'hunter2');
      assertHidden('{"password":"truncated-excerpt-without-end', 'truncated-excerpt');
    });

    it('masks cwt= tokens and the cwt_ucwa cookie anywhere', () => {
      assertHidden(`the ticket ${CWT} was rejected`, 'AAEBHAEFAAAAAAAFFQ');
      assertHidden('Set-Cookie: cwt_ucwa=Q1dUX1VDV0E; path=/ucwa/oauth/v1/applications/1/photos', 'Q1dUX1VDV0E');
    });

    it('leaves challenges and ordinary text alone', () => {
      const challenge =
        'Bearer trusted_issuers="00000002-0000-0ff1-ce00-000000000000@contoso.com", client_id="00000004-0000-0ff1-ce00-000000000000", MsRtcOAuth href="https://x/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,password"';
      assert.equal(redact(challenge), challenge);
      for (const text of ['POST /ucwa/oauth/v1/applications 201', 'grant_type=password&username=a', 'password grant refused', '']) {
        assert.equal(redact(text), text);
      }
    });
  });

  describe('redactHeaders', () => {
    it('masks authorization (keeping the scheme), cookie and set-cookie, case-insensitively', () => {
      const out = redactHeaders({
        Authorization: `Bearer ${CWT}`,
        'proxy-authorization': 'opaque',
        cookie: 'cwt_ucwa=abc; other=def',
        'Set-Cookie': ['cwt_ucwa=Q1dU; path=/ucwa/photos; secure; HttpOnly', 'flag'],
        'content-type': 'application/json',
        'content-length': 42,
        'x-empty': undefined,
      });
      assert.deepEqual(out, {
        Authorization: `Bearer ${REDACTED}`,
        'proxy-authorization': REDACTED,
        cookie: `cwt_ucwa=${REDACTED}; other=${REDACTED}`,
        'Set-Cookie': [`cwt_ucwa=${REDACTED}; path=/ucwa/photos; secure; HttpOnly`, REDACTED],
        'content-type': 'application/json',
        'content-length': '42',
      });
    });

    it('redacts secrets in other header values and accepts a fetch Headers object', () => {
      const headers = new Headers({ Authorization: `Bearer ${JWT}`, Location: `https://h/cb#access_token=abc&x=1` });
      assert.deepEqual(redactHeaders(headers), {
        authorization: `Bearer ${REDACTED}`,
        location: `https://h/cb#access_token=${REDACTED}&x=1`,
      });
    });

    it('does not modify its input', () => {
      const input = { authorization: 'Bearer x' };
      redactHeaders(input);
      assert.deepEqual(input, { authorization: 'Bearer x' });
    });
  });
});
