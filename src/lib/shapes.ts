/**
 * Shapes of short strings checked character by character. A one-shot verification executes a
 * regular expression only a few times, and compiling one (twice: V8 interprets it first, then
 * compiles it to machine code on its second run) costs more than these checks: 20-70 µs each,
 * about 1 ms over the checks of one verification. Each function names the regular expression it
 * implements; test/lib/shapes.test.ts compares them with it on generated strings.
 */

/** Whether `c` (a UTF-16 code unit) is an ASCII digit. */
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** Whether `s[from..to)` are all ASCII digits (true when empty). */
export function digits(s: string, from = 0, to = s.length): boolean {
  for (let i = from; i < to; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

/** Whether `s` is an optional `-` and one or more ASCII digits (`/^-?\d+$/`). */
export function isDecimal(s: string): boolean {
  const from = s.startsWith('-') ? 1 : 0;
  return s.length > from && digits(s, from, s.length);
}

/**
 * Whether `s` has the shape of an RFC 3339 date-time as protobuf JSON writes it:
 * `/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/` (field ranges are the caller's).
 */
export function isRfc3339(s: string): boolean {
  if (s.length < 20 || !digits(s, 0, 4) || s[4] !== '-' || !digits(s, 5, 7) || s[7] !== '-' || !digits(s, 8, 10) || s[10] !== 'T') return false;
  if (!digits(s, 11, 13) || s[13] !== ':' || !digits(s, 14, 16) || s[16] !== ':' || !digits(s, 17, 19)) return false;
  let i = 19;
  if (s[i] === '.') {
    const start = ++i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    if (i === start) return false;
  }
  if (s[i] === 'Z') return i + 1 === s.length;
  return (s[i] === '+' || s[i] === '-') && i + 6 === s.length && digits(s, i + 1, i + 3) && s[i + 3] === ':' && digits(s, i + 4, i + 6);
}

/** Whether `s` is `/^(0|[1-9]\d{0,19})$/`: a decimal of at most 20 digits without a leading zero. */
export function isPlainDecimal(s: string): boolean {
  if (s === '0') return true;
  return s.length >= 1 && s.length <= 20 && s[0] !== '0' && digits(s);
}

/** Whether `s[from..to)` are all in `[A-Za-z0-9+/]`. */
function base64Chars(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f)) return false;
  }
  return true;
}

/** Whether `s` is `/^[A-Za-z0-9+/]+={0,2}$/`: base64 characters, then at most two `=`. */
export function isPaddedBase64(s: string): boolean {
  let end = s.length;
  while (end > 0 && s.length - end < 2 && s[end - 1] === '=') end--;
  return end > 0 && base64Chars(s, 0, end);
}

/** Whether `s` is `/^[A-Za-z0-9+/]{43}=$/`: the base64 shape of 32 bytes. */
export function isBase64Of32(s: string): boolean {
  return s.length === 44 && s[43] === '=' && base64Chars(s, 0, 43);
}

/** Whether `s` holds a code unit matched by `/[\u0000-\u0009\u000b-\u001f]/`: a control character other than newline. */
export function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return true;
  }
  return false;
}

/** Whether every byte of `b` is printable ASCII, and there is one (`/^[\x20-\x7e]+$/` over its latin1 text). */
export function isPrintableAscii(b: Uint8Array): boolean {
  if (b.length === 0) return false;
  for (let i = 0; i < b.length; i++) if (b[i]! < 0x20 || b[i]! > 0x7e) return false;
  return true;
}

/**
 * Whether the UTF-16 code unit `c` is matched by `/\s/`: ECMAScript's WhiteSpace (tab, vertical
 * tab, form feed, BOM and the Unicode space separators) and LineTerminator characters.
 */
export function isJsWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Whether `s` holds a `/\s/` character. */
export function hasJsWhitespace(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (isJsWhitespace(s.charCodeAt(i))) return true;
  return false;
}

/** `s` without its `/\s/` characters (`s.replace(/\s+/g, '')`). */
export function withoutWhitespace(s: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    if (isJsWhitespace(s.charCodeAt(i))) {
      out += s.slice(from, i);
      from = i + 1;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

/** The end of the run of `[A-Z ]` characters at `s[from]`, or -1 when there is none. */
function labelEnd(s: string, from: number): number {
  let i = from;
  while (i < s.length && ((s[i]! >= 'A' && s[i]! <= 'Z') || s[i] === ' ')) i++;
  return i > from ? i : -1;
}

/**
 * The text between the first PEM header and the footer after it, as
 * `/-----BEGIN [A-Z ]+-----([\s\S]*?)-----END [A-Z ]+-----/` captures it; undefined when there is none.
 */
export function pemBody(pem: string): string | undefined {
  for (let b = pem.indexOf('-----BEGIN '); b >= 0; b = pem.indexOf('-----BEGIN ', b + 1)) {
    const header = labelEnd(pem, b + 11);
    if (header < 0 || !pem.startsWith('-----', header)) continue;
    const start = header + 5;
    for (let e = pem.indexOf('-----END ', start); e >= 0; e = pem.indexOf('-----END ', e + 1)) {
      const footer = labelEnd(pem, e + 9);
      if (footer >= 0 && pem.startsWith('-----', footer)) return pem.slice(start, e);
    }
    // No footer after this header, so none after a later one either.
    return undefined;
  }
  return undefined;
}
