// Turns "keys that start with a prefix" into a half-open range [prefix, upperBound) that an ordered index can
// seek, for stores that compare keys as UTF-8 bytes (SQLite's BINARY collation). UTF-8 byte order is code-point
// order, so the smallest string after every extension of the prefix is the prefix with its last code point raised
// by one (U+10FFFF cannot be raised: drop it and raise the one before).

/** The largest Unicode code point; nothing sorts after it, so it cannot be raised. */
const MAX_CODE_POINT = 0x10ffff;
const FIRST_SURROGATE = 0xd800;
const AFTER_SURROGATES = 0xe000;

export interface KeyRange {
  /** Inclusive lower bound: every matching key is >= this. */
  readonly from: string;
  /** Exclusive upper bound, or undefined when the range runs to the end of the key space. */
  readonly before: string | undefined;
}

/**
 * The range of UTF-8-ordered keys that can start with `prefix`. A lone surrogate at the end (half of a pair) has
 * no UTF-8 form, so the range is taken for what comes before it; callers still check `startsWith` on the results.
 */
export function prefixRange(prefix: string): KeyRange {
  const whole = /[\uD800-\uDBFF]$/.test(prefix) ? prefix.slice(0, -1) : prefix;
  return { from: whole, before: successorOfPrefix(whole) };
}

function successorOfPrefix(prefix: string): string | undefined {
  const codePoints = Array.from(prefix);
  while (codePoints.length > 0) {
    const last = codePoints.pop()!.codePointAt(0)!;
    if (last < MAX_CODE_POINT) {
      const next = last + 1 === FIRST_SURROGATE ? AFTER_SURROGATES : last + 1;
      return codePoints.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}
