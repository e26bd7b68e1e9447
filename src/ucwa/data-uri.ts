// RFC 2397 data URIs, as UCWA uses them for the first message of an invitation and for message bodies
// ("data:text/plain;charset=utf-8,Hi+Tosh%0d%0a"). UCWA URL-encodes with '+' for spaces and '%2b' for a real plus,
// so '+' must become a space BEFORE percent-decoding (the other order corrupts literal plus signs).
import { decodeHTML } from 'entities';

export interface DataUri {
  /** Lower-cased media type; `text/plain` when the URI names none (RFC 2397 default). */
  mimeType: string;
  /** Lower-cased charset parameter; `us-ascii` when the URI names no media type at all (RFC 2397 default). */
  charset?: string;
  /** The decoded content as text, line endings untouched. */
  text: string;
}

/** Decodes a `data:` URI; undefined if `uri` is not one (e.g. a plain https link). Never throws. */
export function decodeDataUri(uri: string): DataUri | undefined {
  const trimmed = uri.trim();
  if (!/^data:/i.test(trimmed)) return undefined;
  const comma = trimmed.indexOf(',');
  if (comma < 0) return undefined;

  const header = parseHeader(trimmed.slice(5, comma));
  const data = trimmed.slice(comma + 1);
  const bytes = header.base64 ? base64Bytes(data) : urlEncodedBytes(data);
  const result: DataUri = { mimeType: header.mimeType, text: decodeText(bytes, header.charset) };
  if (header.charset !== undefined) result.charset = header.charset;
  return result;
}

/**
 * The text to show for an invitation's first message: the data URI decoded, HTML reduced to plain text, and the
 * trailing CR/LF and whitespace that UCWA appends removed. Undefined if `uri` is not a data URI.
 */
export function firstMessageText(uri: string): string | undefined {
  const decoded = decodeDataUri(uri);
  if (!decoded) return undefined;
  if (decoded.mimeType === 'text/html') return htmlToText(decoded.text).trim();
  return decoded.text.trimEnd();
}

interface DataUriHeader {
  mimeType: string;
  charset?: string;
  base64: boolean;
}

function parseHeader(header: string): DataUriHeader {
  const parts = header.split(';').map((p) => p.trim());
  const base64 = parts.length > 1 && parts[parts.length - 1].toLowerCase() === 'base64';
  if (base64) parts.pop();

  const first = parts[0] ?? '';
  const hasMediaType = first.includes('/');
  const mimeType = hasMediaType ? safePercentDecode(first).toLowerCase() : 'text/plain';
  let charset: string | undefined = hasMediaType ? undefined : 'us-ascii';
  for (const param of parts.slice(hasMediaType ? 1 : 0)) {
    const eq = param.indexOf('=');
    if (eq > 0 && param.slice(0, eq).trim().toLowerCase() === 'charset') {
      charset = unquote(safePercentDecode(param.slice(eq + 1).trim())).toLowerCase();
    }
  }
  return { mimeType, charset, base64 };
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/** '+' to space first, then %XX to bytes; a malformed '%' sequence stays literally as written. */
function urlEncodedBytes(data: string): Uint8Array {
  return percentBytes(data.replace(/\+/g, ' '));
}

function percentBytes(text: string): Uint8Array {
  // Working on UTF-8 bytes is safe: multi-byte sequences never contain ASCII bytes such as '%' or hex digits.
  const input = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(input.length);
  let length = 0;
  for (let i = 0; i < input.length; i++) {
    const high = hexValue(input[i + 1]);
    const low = hexValue(input[i + 2]);
    if (input[i] === 0x25 && high >= 0 && low >= 0) {
      out[length++] = high * 16 + low;
      i += 2;
    } else {
      out[length++] = input[i];
    }
  }
  return out.subarray(0, length);
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

function safePercentDecode(text: string): string {
  return Buffer.from(percentBytes(text)).toString('utf8');
}

function base64Bytes(data: string): Uint8Array {
  // Base64 payloads may themselves be percent-encoded in a URI ("%2B", "%3D"); '+' is a base64 digit here.
  const unescaped = data.includes('%') ? Buffer.from(percentBytes(data)).toString('latin1') : data;
  return Buffer.from(unescaped.replace(/\s+/g, ''), 'base64');
}

function decodeText(bytes: Uint8Array, charset: string | undefined): string {
  try {
    // UTF-8 unless the URI says otherwise; invalid sequences become U+FFFD rather than an exception.
    return new TextDecoder(charset && charset !== 'us-ascii' ? charset : 'utf-8').decode(bytes);
  } catch {
    // Unknown charset label.
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** Plain text of a small HTML fragment (an IM body): markup removed, line breaks kept, every HTML5 entity decoded. */
function htmlToText(html: string): string {
  return decodeHTML(
    html
      .replace(/<!--[\s\S]*?-->/g, '')
      .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, '')
      // HTML collapses source whitespace; explicit breaks and block ends become the line breaks.
      .replace(/\s+/g, ' ')
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<\/(p|div|li|tr|h[1-6])\s*>/gi, '\n')
      .replace(/<[^>]*>/g, ''),
  )
    // Non-breaking spaces (&nbsp; or &#160;) are plain spaces in text.
    .replace(/\u00a0/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .join('\n');
}
