// Untrusted text (subjects, names, SIP URIs, messages, server reasons) made safe to show in a TextBlock.
//
// Teams renders TextBlock (and Fact) text as a Markdown subset: links `[t](u)`, images, bold `**`, italic `_`/`*`,
// strikethrough `~~`, code, lists, and on some clients headings and block quotes. It turns bare URLs into links
// (and may do so for bare domains and e-mail addresses), and shows `<at>name</at>` as a mention when the activity
// has a matching entity. None of that may be driven by a sender, so every untrusted string goes through two steps:
//
// 1. cleanText: remove control, bidi and invisible format characters, collapse whitespace, keep single line breaks
//    (messages only, a few lines at most) and cap the length with an ellipsis. The cap counts what the user sees.
// 2. escapeMarkdown: neutralise what a Markdown renderer or linkifier could act on.
//    - Backslash escapes (CommonMark) for characters that open or close inline syntax anywhere in a line:
//      \ ` * _ ~ [ ]. Characters that only mean something at the start of a line (# > - + = | and "1." / "1)")
//      are escaped there only. Parentheses and pipes elsewhere are left alone: without an unescaped `[...]` before
//      them they cannot form a link, a one-line TextBlock cannot form a table, and escaping them would put stray
//      backslashes on the clients that do not process escapes (Teams mobile has shown them: msteams-docs#5793).
//    - Clients that ignore backslash escapes must still not build links or tags, so syntax that matters for
//      safety is also broken by an invisible U+2060 WORD JOINER that no Markdown rule removes: after every `]`
//      (no `](` or `][` can form), after `<` (no HTML tag, `<at>` mention or `<http://...>` autolink), after `&`
//      (no entity), between the slashes of `//` (no `scheme://` or protocol-relative link), and after every dot
//      (also the ideographic and full-width dots that IDNA maps to ".") that is followed by a letter, digit or
//      mark (no bare `www.host`, `host.tld` or `user@host.tld` linkification: every label after a dot starts with
//      U+2060, which no TLD list contains; a linkifier that took such a token anyway would build a host name with
//      U+2060 in it, which resolves nowhere).
//      U+2060 is invisible and, unlike U+200B, adds no line-break opportunity, so URLs and addresses wrap as before.
//    - Templating and card text functions: `${` becomes `$` U+2060 `{` so data can never look like a template
//      expression (adaptivecards-templating only evaluates the template, never substituted data, but render.ts
//      refuses output in which any `${` survives, and that check must only ever fire for the template's own
//      unresolved expressions); `{{` becomes `{` U+2060 `{` so `{{DATE(...)}}` / `{{TIME(...)}}` stay literal.
//
// The result looks like the input; a copy and paste of it contains the invisible joiners.

/** Caps on displayed lengths, in Unicode code points. The subject cap is UCWA's own maximum. */
export const TEXT_LIMITS = {
  subject: 250,
  name: 100,
  sip: 256,
  message: 500,
  reason: 300,
  /** Button titles supplied by the bot (not Markdown, cleaned only). */
  actionTitle: 40,
} as const;

/** A message keeps at most this many lines; further lines are joined onto the last one. */
export const MAX_MESSAGE_LINES = 5;

export const ELLIPSIS = '\u2026';
/** U+2060 WORD JOINER: invisible, no line-break opportunity; used to break syntax without changing the look. */
export const WORD_JOINER = '\u2060';

export interface CleanTextOptions {
  maxLength: number;
  /** Keep single line breaks (at most maxLines lines). Otherwise every line break becomes a space. */
  multiline?: boolean;
  maxLines?: number;
}

// C0 and C1 controls except the whitespace we turn into spaces or line breaks first.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
// Bidi embeddings, overrides, isolates and marks (U+202E can make "gpj.exe" read as "exe.jpg"), zero-width and
// other invisible format characters, interlinear annotations and Unicode tag characters (invisible "ASCII
// smuggling"). U+200D ZERO WIDTH JOINER is kept: emoji sequences need it and it cannot form syntax.
const INVISIBLE =
  /[\u00AD\u061C\u115F\u1160\u180E\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]|\uDB40[\uDC00-\uDC7F]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// eslint-disable-next-line no-control-regex -- vertical tab and form feed count as line breaks
const LINE_BREAKS = /\r\n|[\r\n\u0085\u2028\u2029\u000B\u000C]/g;
const SPACES = /[^\S\n]+/g;

/**
 * Plain, single- or multi-line text with controls and invisible characters removed, whitespace collapsed and the
 * length capped (ending in "…" when cut). Not yet safe for Markdown: see escapeMarkdown / the safe* helpers.
 * Anything that is not a string becomes ''.
 */
export function cleanText(input: unknown, options: CleanTextOptions): string {
  if (typeof input !== 'string' || input.length === 0) return '';
  let text = input.replace(LONE_SURROGATE, '\uFFFD').replace(LINE_BREAKS, '\n').replace(/\t/g, ' ');
  text = text.replace(CONTROL, '').replace(INVISIBLE, '');
  let lines = text
    .split('\n')
    .map((line) => line.replace(SPACES, ' ').trim())
    .filter((line) => line.length > 0);
  if (!options.multiline) {
    lines = [lines.join(' ')];
  } else {
    const maxLines = Math.max(1, options.maxLines ?? MAX_MESSAGE_LINES);
    if (lines.length > maxLines) lines = [...lines.slice(0, maxLines - 1), lines.slice(maxLines - 1).join(' ')];
  }
  return truncate(lines.join('\n'), options.maxLength);
}

/** Cuts to at most maxLength code points, the last being "…" when anything was cut. Never splits a surrogate pair. */
export function truncate(text: string, maxLength: number): string {
  const points = Array.from(text);
  if (points.length <= maxLength) return text;
  if (maxLength <= 0) return '';
  return `${points.slice(0, maxLength - 1).join('').trimEnd()}${ELLIPSIS}`;
}

const J = WORD_JOINER;

/** Neutralises Markdown, mentions, autolinks and template markers in one line or in a multi-line text (per line). */
export function escapeMarkdown(text: string): string {
  return text.split('\n').map(escapeLine).join('\n');
}

function escapeLine(line: string): string {
  let out = line
    .replace(/[\\`*_~[\]]/g, (ch) => `\\${ch}`)
    .replace(/\]/g, `]${J}`)
    .replace(/</g, `<${J}`)
    .replace(/&/g, `&${J}`)
    .replace(/\/(?=\/)/g, `/${J}`)
    .replace(/([.\u3002\uFF0E\uFF61])(?=[\p{L}\p{N}\p{M}])/gu, `$1${J}`);
  // Block syntax that only counts at the start of a line: headings, quotes, list items, setext underlines, tables.
  out = out.replace(/^([#>+\-=|])/, '\\$1').replace(/^(\d+)([.)])/, '$1\\$2');
  return neutralizeTemplateMarkers(out);
}

/**
 * Makes a data string unable to produce `${` (template expression) or `{{` (card date/time function) in the card,
 * on its own or next to template text or another value: `$` before `{` or at the end, and `{` at the start or
 * after `{`, get an invisible U+2060 between them. Idempotent. render.ts applies it to every data string.
 */
export function neutralizeTemplateMarkers(text: string): string {
  return text
    .replace(/\$(?=\{|$)/g, `$${J}`)
    .replace(/\{(?=\{)/g, `{${J}`)
    .replace(/^\{/, `${J}{`);
}

/** cleanText then escapeMarkdown: the one-call form for a TextBlock. */
export function safeText(input: unknown, options: CleanTextOptions): string {
  return escapeMarkdown(cleanText(input, options));
}

export function safeSubject(subject: unknown): string {
  return safeText(subject, { maxLength: TEXT_LIMITS.subject });
}

export function safeName(name: unknown): string {
  return safeText(name, { maxLength: TEXT_LIMITS.name });
}

/** A SIP address for display: without the `sip:` scheme, cleaned, capped and escaped. */
export function safeSipAddress(uri: unknown): string {
  return escapeMarkdown(cleanText(stripSipScheme(uri), { maxLength: TEXT_LIMITS.sip }));
}

/** A URI shown as it is (e.g. a `sip:` conference URI), cleaned, capped and escaped. */
export function safeUri(uri: unknown): string {
  return safeText(uri, { maxLength: TEXT_LIMITS.sip });
}

/** The lines of a message, each ready for its own TextBlock (so no client has to honour line breaks). */
export function safeMessageLines(message: unknown): string[] {
  const cleaned = cleanText(message, { maxLength: TEXT_LIMITS.message, multiline: true, maxLines: MAX_MESSAGE_LINES });
  return cleaned === '' ? [] : cleaned.split('\n').map(escapeLine);
}

export function safeReason(reason: unknown): string {
  return safeText(reason, { maxLength: TEXT_LIMITS.reason });
}

/** A button title: cleaned and capped, not Markdown-escaped (action titles are plain text). */
export function safeActionTitle(title: unknown, fallback: string): string {
  const cleaned = cleanText(title, { maxLength: TEXT_LIMITS.actionTitle });
  return cleaned === '' ? fallback : cleaned;
}

/** `sip:alice@contoso.com` -> `alice@contoso.com` (any case of the scheme); other values unchanged. */
export function stripSipScheme(uri: unknown): string {
  if (typeof uri !== 'string') return '';
  return uri.trim().replace(/^sip:/i, '');
}
