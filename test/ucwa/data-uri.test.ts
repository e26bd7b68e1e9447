import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeDataUri, firstMessageText } from '../../src/ucwa/data-uri';

/** Encodes like UCWA: URL encoding with '+' for spaces (so a real plus is %2B). */
function ucwaEncode(text: string): string {
  return `data:text/plain;charset=utf-8,${encodeURIComponent(text).replace(/%20/g, '+')}`;
}

describe('ucwa/data-uri', () => {
  describe('decodeDataUri', () => {
    it('decodes the URL-encoded form, + as space, %0d%0a kept', () => {
      assert.deepEqual(decodeDataUri('data:text/plain;charset=utf-8,Hi+there%0d%0a'), {
        mimeType: 'text/plain',
        charset: 'utf-8',
        text: 'Hi there\r\n',
      });
    });

    it('replaces + before percent-decoding, so %2b stays a literal plus', () => {
      assert.equal(decodeDataUri('data:text/plain;charset=utf-8,1%2b1+%3d+2')?.text, '1+1 = 2');
      assert.equal(decodeDataUri('data:text/plain;charset=utf-8,C%2B%2B+rocks')?.text, 'C++ rocks');
    });

    it('decodes multi-byte UTF-8 and raw non-ASCII characters', () => {
      assert.equal(decodeDataUri('data:text/plain;charset=utf-8,%e2%82%ac+caf%C3%A9+%F0%9F%98%80')?.text, '€ café 😀');
      assert.equal(decodeDataUri('data:text/plain;charset=utf-8,d%C3%A9j%C3%A0+vu+ñ')?.text, 'déjà vu ñ');
    });

    it('leaves malformed percent sequences as written, without throwing', () => {
      assert.equal(decodeDataUri('data:text/plain,100%+sure%zz%4')?.text, '100% sure%zz%4');
      assert.equal(decodeDataUri('data:text/plain,%')?.text, '%');
      // A lone invalid UTF-8 byte becomes U+FFFD rather than an exception.
      assert.equal(decodeDataUri('data:text/plain;charset=utf-8,a%ffb')?.text, 'a\ufffdb');
    });

    it('decodes base64, with or without charset, and percent-escaped base64', () => {
      const b64 = Buffer.from('Hello, wörld +/=\r\n', 'utf8').toString('base64');
      assert.deepEqual(decodeDataUri(`data:text/plain;charset=utf-8;base64,${b64}`), {
        mimeType: 'text/plain',
        charset: 'utf-8',
        text: 'Hello, wörld +/=\r\n',
      });
      assert.equal(decodeDataUri(`data:text/plain;base64,${b64}`)?.text, 'Hello, wörld +/=\r\n');
      assert.equal(decodeDataUri(`data:text/plain;BASE64,${encodeURIComponent(b64)}`)?.text, 'Hello, wörld +/=\r\n');
      const sdp = Buffer.from('v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n').toString('base64');
      assert.deepEqual(decodeDataUri(`data:application/sdp;base64,${sdp}`), {
        mimeType: 'application/sdp',
        text: 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n',
      });
    });

    it('applies RFC 2397 defaults and reads other charsets', () => {
      assert.deepEqual(decodeDataUri('data:,A+brief+note'), { mimeType: 'text/plain', charset: 'us-ascii', text: 'A brief note' });
      assert.equal(decodeDataUri('data:text/plain;charset=iso-8859-1,caf%e9')?.text, 'café');
      assert.equal(decodeDataUri('data:text/plain;charset="UTF-8",ok')?.charset, 'utf-8');
      assert.equal(decodeDataUri('data:text/plain;charset=no-such-charset,ok')?.text, 'ok');
      assert.equal(decodeDataUri('DATA:Text/HTML;Charset=UTF-8,x')?.mimeType, 'text/html');
    });

    it('returns undefined for something that is not a data URI', () => {
      assert.equal(decodeDataUri('https://example.com/message'), undefined);
      assert.equal(decodeDataUri('data:text/plain;no-comma'), undefined);
      assert.equal(decodeDataUri(''), undefined);
    });

    it('round-trips arbitrary Unicode text through UCWA-style URL encoding', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
          assert.equal(decodeDataUri(ucwaEncode(text))?.text, text);
        }),
        { numRuns: 500 },
      );
    });

    it('round-trips arbitrary Unicode text through base64', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (text) => {
          const uri = `data:text/plain;charset=utf-8;base64,${Buffer.from(text, 'utf8').toString('base64')}`;
          assert.equal(decodeDataUri(uri)?.text, text);
        }),
      );
    });

    it('never throws on arbitrary input', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary-ascii', maxLength: 100 }), (tail) => {
          decodeDataUri(`data:${tail}`);
          firstMessageText(`data:text/html,${tail}`);
        }),
      );
    });
  });

  describe('firstMessageText', () => {
    it('trims the trailing CR/LF and whitespace of plain text', () => {
      assert.equal(firstMessageText('data:text/plain;charset=utf-8,Hi+Tosh%0d%0a'), 'Hi Tosh');
      assert.equal(firstMessageText('data:text/plain;charset=utf-8,+line+one%0d%0aline+two+%0d%0a%0d%0a+'), ' line one\r\nline two');
    });

    it('reduces HTML to plain text, decoding basic entities', () => {
      const html =
        'data:text/html;charset=utf-8,%3cspan+style%3d%22font-family%3aSegoe+UI%3b%22%3eHello!%3c%2fspan%3e%0d%0a';
      assert.equal(firstMessageText(html), 'Hello!');
      const rich = encodeURIComponent(
        '<div><b>Tom</b> &amp; <i>Jerry</i>&nbsp;&lt;3</div><p>Line&#160;two &#x263A; &quot;q&quot; &bogus;</p>' +
          '<style>p{color:red}</style><script>alert(1)</script><!-- note --><br/>end\r\n',
      );
      assert.equal(firstMessageText(`data:text/html;charset=utf-8,${rich}`), 'Tom & Jerry <3\nLine two ☺ "q" &bogus;\n\nend');
    });

    it('decodes every HTML5 named entity (typographic quotes, accents, ellipsis), not only the XML five', () => {
      const html = encodeURIComponent('<p>It&rsquo;s &eacute;t&eacute; &ndash; caf&eacute;&hellip; &euro;5 &copy;</p>');
      assert.equal(firstMessageText(`data:text/html;charset=utf-8,${html}`), 'It’s été – café… €5 ©');
    });

    it('decodes once: an escaped entity stays an entity, and decoded markup is text, not tags', () => {
      const html = encodeURIComponent('<p>&amp;lt;b&amp;gt; and &lt;a href=x&gt;link&lt;/a&gt;</p>');
      assert.equal(firstMessageText(`data:text/html,${html}`), '&lt;b&gt; and <a href=x>link</a>');
    });

    it('collapses HTML source whitespace', () => {
      assert.equal(firstMessageText(`data:text/html,${encodeURIComponent('<p>  a \r\n  b  </p>')}`), 'a b');
    });

    it('returns undefined for a non-data URI', () => {
      assert.equal(firstMessageText('/ucwa/oauth/v1/applications/1/message'), undefined);
    });
  });
});
