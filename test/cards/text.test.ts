// Untrusted text: cleaned, capped and neutralised so that it is shown exactly as text.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  cleanText,
  escapeMarkdown,
  MAX_MESSAGE_LINES,
  neutralizeTemplateMarkers,
  safeActionTitle,
  safeMessageLines,
  safeName,
  safeReason,
  safeSipAddress,
  safeSubject,
  safeText,
  stripSipScheme,
  TEXT_LIMITS,
  truncate,
} from '../../cards/text';
import { unescapeForReader } from './helpers';

const J = '\u2060';

/** Fails on any Markdown-active character that is not backslash-escaped. */
function assertNoBareSyntax(text: string): void {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
      continue;
    }
    assert.ok(!'*_~`[]'.includes(text[i]), `bare ${text[i]} at ${i} in ${JSON.stringify(text)}`);
  }
}

function assertSafeLine(text: string): void {
  assertNoBareSyntax(text);
  assert.ok(!/\]\(|\]\[/.test(text), `link syntax: ${JSON.stringify(text)}`);
  assert.ok(!/<(?!\u2060)/.test(text), `tag: ${JSON.stringify(text)}`);
  assert.ok(!/&(?!\u2060)/.test(text), `entity: ${JSON.stringify(text)}`);
  assert.ok(!text.includes('//'), `scheme: ${JSON.stringify(text)}`);
  assert.ok(!/[.\u3002\uFF0E\uFF61][\p{L}\p{N}\p{M}]/u.test(text), `domain: ${JSON.stringify(text)}`);
  assert.ok(!text.includes('${') && !text.includes('{{'), `template: ${JSON.stringify(text)}`);
  assert.ok(!/^[#>+\-=|]|^\d+[.)]/.test(text), `block: ${JSON.stringify(text)}`);
  // eslint-disable-next-line no-control-regex -- the test looks for control characters
  assert.ok(!/[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\u200E\u200F\u200B\uFEFF]/.test(text), `control: ${JSON.stringify(text)}`);
  assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text), 'lone surrogate');
}

const SPECIALS = [
  '[', ']', '(', ')', '*', '_', '~', '`', '#', '>', '<', '|', '&', '$', '{', '}', '/', ':', '.', '\\', '!',
  '\n', '\r', '\t', ' ', '-', '+', '=', '1', 'a', 'w', '@', 'é', '\u202E', '\u0000', '\u0085', '\u2028', '\u2060',
  '\u200B', '\uD83D', '\uDE00', 'http', 'www.', 'sip:', '<at>', '${', '{{',
];
const hostileString = fc.string({
  unit: fc.oneof(fc.constantFrom(...SPECIALS), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
  maxLength: 300,
});

describe('untrusted text', () => {
  describe('cleanText', () => {
    it('removes control, bidi and invisible characters and collapses whitespace', () => {
      assert.equal(cleanText('  a\u0000b\u0007c\u007f\u0085d \t\u00A0 e\u202Eexe.jpg\u2066x\u2069\u200By\uFEFF ', { maxLength: 100 }), 'abc d eexe.jpgxy');
      assert.equal(cleanText('one\r\n\r\ntwo\u2028three', { maxLength: 100 }), 'one two three');
      assert.equal(cleanText('one\r\n\r\n  two  \n\n\nthree', { maxLength: 100, multiline: true }), 'one\ntwo\nthree');
      assert.equal(cleanText('\uD800x\uDC00', { maxLength: 10 }), '\uFFFDx\uFFFD');
      // Emoji sequences keep their zero width joiner.
      assert.equal(cleanText('👩\u200D💻', { maxLength: 10 }), '👩\u200D💻');
      for (const input of [undefined, null, 42, {}, '', ' \n\t ']) assert.equal(cleanText(input, { maxLength: 10 }), '');
    });

    it('keeps at most a few lines, joining the rest onto the last one', () => {
      const text = Array.from({ length: 9 }, (_, i) => `l${i}`).join('\n');
      const lines = cleanText(text, { maxLength: 500, multiline: true }).split('\n');
      assert.equal(lines.length, MAX_MESSAGE_LINES);
      assert.equal(lines[MAX_MESSAGE_LINES - 1], 'l4 l5 l6 l7 l8');
    });

    it('caps by code points with an ellipsis, never splitting a surrogate pair', () => {
      assert.equal(truncate('abcdef', 6), 'abcdef');
      assert.equal(truncate('abcdefg', 6), 'abcde\u2026');
      assert.equal(truncate('ab  cdefg', 4), 'ab\u2026');
      assert.equal(truncate('😀😀😀😀', 3), '😀😀\u2026');
      assert.equal(Array.from(cleanText('x'.repeat(10_000), { maxLength: TEXT_LIMITS.subject })).length, 250);
    });
  });

  describe('escapeMarkdown', () => {
    const cases: Array<[string, string]> = [
      ['[Click](https://evil.example)', `\\[Click\\]${J}(https:/${J}/evil.${J}example)`],
      ['![img](x)', `!\\[img\\]${J}(x)`],
      ['**bold** _it_ ~~s~~ `code`', '\\*\\*bold\\*\\* \\_it\\_ \\~\\~s\\~\\~ \\`code\\`'],
      ['<at>Everyone</at>', `<${J}at>Everyone<${J}/at>`],
      ['<https://evil.example>', `<${J}https:/${J}/evil.${J}example>`],
      ['www.evil.example', `www.${J}evil.${J}example`],
      ['mail me: eve@evil.example', `mail me: eve@evil.${J}example`],
      ['&lt;b&gt;', `&${J}lt;b&${J}gt;`],
      ['# Heading', '\\# Heading'],
      ['> quote', '\\> quote'],
      ['- item', '\\- item'],
      ['+ item', '\\+ item'],
      ['12. item', '12\\. item'],
      ['3) item', '3\\) item'],
      ['=====', '\\====='],
      ['| a | b |', '\\| a | b |'],
      ['C# and 1.5', `C# and 1.${J}5`],
      ['(weekly) sync', '(weekly) sync'],
      ['back\\slash', 'back\\\\slash'],
      ['${1+1}', `$${J}{1+1}`],
      ['{{DATE(2017-02-14T06:08:39Z, SHORT)}}', `${J}{${J}{DATE(2017-02-14T06:08:39Z, SHORT)}}`],
    ];
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
        assert.equal(escapeMarkdown(input), expected);
        assert.equal(unescapeForReader(escapeMarkdown(input)), input, 'reads the same');
      });
    }

    it('neutralizeTemplateMarkers leaves no ${ even across value boundaries, and is idempotent', () => {
      for (const [a, b] of [['$', '{x}'], ['x$', '{'], ['$', '$'], ['{', '{']]) {
        assert.ok(!(neutralizeTemplateMarkers(a) + neutralizeTemplateMarkers(b)).includes('${'), `${a}|${b}`);
        assert.ok(!(neutralizeTemplateMarkers(a) + neutralizeTemplateMarkers(b)).includes('{{'), `${a}|${b}`);
      }
      const once = neutralizeTemplateMarkers('a${b}$');
      assert.equal(neutralizeTemplateMarkers(once), once);
    });
  });

  describe('the safe* helpers', () => {
    it('strip sip: from addresses and cap each field', () => {
      assert.equal(stripSipScheme('SIP:alice@contoso.com'), 'alice@contoso.com');
      assert.equal(stripSipScheme('tel:+1555'), 'tel:+1555');
      assert.equal(unescapeForReader(safeSipAddress('sip:first_last@contoso.com')), 'first_last@contoso.com');
      const seen = (s: string): number => Array.from(unescapeForReader(s)).length;
      assert.equal(seen(safeSubject('s'.repeat(10_000))), TEXT_LIMITS.subject);
      assert.equal(seen(safeName('n'.repeat(10_000))), TEXT_LIMITS.name);
      assert.equal(seen(safeSipAddress(`sip:${'u'.repeat(10_000)}`)), TEXT_LIMITS.sip);
      assert.equal(seen(safeReason('r'.repeat(10_000))), TEXT_LIMITS.reason);
      assert.equal(safeMessageLines('m'.repeat(10_000)).reduce((n, l) => n + seen(l), 0), TEXT_LIMITS.message);
      assert.equal(safeActionTitle('', 'Accept'), 'Accept');
      assert.equal(safeActionTitle('**Go**', 'Accept'), '**Go**', 'titles are plain text, not Markdown');
    });

    it('message lines are each safe on their own (each becomes its own TextBlock)', () => {
      const lines = safeMessageLines('hello\n# not a heading\n- not a list\n> not a quote\n1. not numbered');
      assert.deepEqual(lines, ['hello', '\\# not a heading', '\\- not a list', '\\> not a quote', '1\\. not numbered']);
      assert.deepEqual(safeMessageLines(undefined), []);
    });
  });

  describe('properties (fast-check)', () => {
    it('any single-line field is safe, capped, and reads exactly as the cleaned input', () => {
      fc.assert(
        fc.property(hostileString, (input) => {
          const out = safeText(input, { maxLength: 120 });
          assertSafeLine(out);
          assert.ok(!out.includes('\n'));
          const cleaned = cleanText(input, { maxLength: 120 });
          assert.equal(unescapeForReader(out), cleaned);
          assert.ok(Array.from(cleaned).length <= 120);
        }),
        { numRuns: 2000 },
      );
    });

    it('any message is safe line by line, has at most 5 lines and at most 500 code points', () => {
      fc.assert(
        fc.property(fc.array(hostileString, { maxLength: 12 }), (parts) => {
          const lines = safeMessageLines(parts.join('\n'));
          assert.ok(lines.length <= MAX_MESSAGE_LINES);
          for (const line of lines) {
            assertSafeLine(line);
            assert.ok(line.length > 0);
          }
          assert.ok(lines.reduce((n, l) => n + Array.from(unescapeForReader(l)).length, 0) <= TEXT_LIMITS.message);
        }),
        { numRuns: 500 },
      );
    });
  });
});
