/**
 * A strict JSON reader for attacker-controlled text (RFC 8259), bounded before anything is
 * authenticated: it refuses duplicate object keys (as Go's protojson and encoding/json's strict
 * decoders do: two readers must never see different values), nesting deeper than `maxDepth`,
 * more than `maxValues` values, and text longer than `maxBytes`, each as early as it can be
 * seen. Integers outside the safe range keep their exact digits, as a decimal string (a log
 * index of 2^53+1 must not read as 2^53; protobuf JSON spells int64 either way, and a string
 * can be serialized again where a bigint would make JSON.stringify throw); every other number
 * is a double, as with JSON.parse.
 */

/** Why a text was refused; `code` is stable. */
export class JsonSyntaxError extends Error {
  readonly code: 'JSON_SYNTAX' | 'JSON_DUPLICATE_KEY' | 'JSON_TOO_DEEP' | 'JSON_TOO_LARGE' | 'JSON_TOO_MANY_VALUES';
  constructor(code: JsonSyntaxError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export interface StrictJsonLimits {
  /** Largest text, in UTF-16 code units (about bytes for JSON). Default 32 MiB. */
  maxBytes?: number;
  /** Deepest nesting of arrays and objects. Default 100. */
  maxDepth?: number;
  /**
   * Most values (objects, arrays, strings, numbers, literals, and object keys) in the text.
   * Default 100,000: Sigstore documents have tens to hundreds; an object of a million keys costs
   * seconds to build (V8 dictionary objects), in JSON.parse as well.
   */
  maxValues?: number;
  /**
   * Integers beyond 2^53 as their exact decimal digits (a string; default), or as doubles like
   * JSON.parse (for documents handed back to callers as they are, such as in-toto statements).
   */
  exactIntegers?: boolean;
}

/**
 * In-toto statements may hold more values than the other documents (SBOM predicates run to
 * megabytes); the per-object key bound keeps their cost linear.
 */
export const STATEMENT_MAX_VALUES = 2_000_000;

/** Most keys in one object: building a V8 dictionary object costs more than linear time. */
export const MAX_OBJECT_KEYS = 10_000;

export const JSON_LIMITS = { maxBytes: 32 * 1024 * 1024, maxDepth: 100, maxValues: 100_000 } as const;

/** A run of string characters that need no decoding: no quote, backslash or control character. */
const PLAIN = /[^"\\\u0000-\u001f]*/y;

/**
 * Parses `text` strictly. Throws {@link JsonSyntaxError} (never SyntaxError, RangeError or a
 * stack overflow) when it is not one JSON value within the limits.
 */
export function parseStrictJson(text: string, limits: StrictJsonLimits = {}): unknown {
  const maxBytes = limits.maxBytes ?? JSON_LIMITS.maxBytes;
  if (text.length > maxBytes) throw new JsonSyntaxError('JSON_TOO_LARGE', `text of ${text.length} characters exceeds the ${maxBytes} limit`);
  const reader = new Reader(text, limits.maxDepth ?? JSON_LIMITS.maxDepth, limits.maxValues ?? JSON_LIMITS.maxValues, limits.exactIntegers ?? true);
  return reader.document();
}

function digits(s: string, p: number): number {
  for (;;) {
    const c = s.charCodeAt(p);
    if (!(c >= 0x30 && c <= 0x39)) return p; // NaN past the end
    p++;
  }
}

class Reader {
  private pos = 0;
  private values = 0;

  constructor(
    private readonly s: string,
    private readonly maxDepth: number,
    private readonly maxValues: number,
    private readonly exact: boolean,
  ) {}

  document(): unknown {
    this.ws();
    const v = this.value(0);
    this.ws();
    if (this.pos !== this.s.length) this.fail('unexpected text after the JSON value');
    return v;
  }

  private fail(message: string, code: JsonSyntaxError['code'] = 'JSON_SYNTAX'): never {
    throw new JsonSyntaxError(code, `${message} at position ${this.pos}`);
  }

  private ws(): void {
    const s = this.s;
    let p = this.pos;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  private value(depth: number): unknown {
    if (++this.values > this.maxValues) this.fail(`more than ${this.maxValues} values`, 'JSON_TOO_MANY_VALUES');
    const c = this.s.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: // {
        return this.object(depth + 1);
      case 0x5b: // [
        return this.array(depth + 1);
      case 0x22: // "
        return this.string();
      case 0x74:
        return this.literal('true', true);
      case 0x66:
        return this.literal('false', false);
      case 0x6e:
        return this.literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        return this.fail(Number.isNaN(c) ? 'unexpected end of JSON' : `unexpected character ${JSON.stringify(this.s[this.pos])}`);
    }
  }

  private literal(word: string, v: boolean | null): boolean | null {
    if (!this.s.startsWith(word, this.pos)) this.fail('invalid literal');
    this.pos += word.length;
    return v;
  }

  private number(): number | string {
    const s = this.s;
    const start = this.pos;
    let p = start;
    if (s.charCodeAt(p) === 0x2d) p++;
    const first = s.charCodeAt(p);
    if (first === 0x30) p++;
    else if (first >= 0x31 && first <= 0x39) p = digits(s, p + 1);
    else return this.fail('invalid number');
    let integer = true;
    if (s.charCodeAt(p) === 0x2e) {
      const q = digits(s, p + 1);
      if (q === p + 1) return this.fail('invalid number');
      p = q;
      integer = false;
    }
    const e = s.charCodeAt(p);
    if (e === 0x65 || e === 0x45) {
      p++;
      const sign = s.charCodeAt(p);
      if (sign === 0x2b || sign === 0x2d) p++;
      const q = digits(s, p);
      if (q === p) return this.fail('invalid number');
      p = q;
      integer = false;
    }
    this.pos = p;
    const text = s.slice(start, p);
    const n = Number(text);
    if (!Number.isFinite(n)) this.fail('number out of range');
    // An integer beyond 2^53 keeps its exact digits (at most 309 of them: finite).
    if (integer && this.exact && !Number.isSafeInteger(n)) return text;
    return n;
  }

  private string(): string {
    const s = this.s;
    const start = this.pos + 1;
    PLAIN.lastIndex = start;
    // test(), not exec(): only where the run ends matters (exec would build a match and its copy).
    PLAIN.test(s);
    const end = PLAIN.lastIndex;
    if (s.charCodeAt(end) === 0x22) {
      this.pos = end + 1;
      return s.slice(start, end);
    }
    // Escapes: find the closing quote (one not escaped by an odd run of backslashes), then let
    // the native parser validate and decode that one string.
    let q = end;
    for (;;) {
      q = s.indexOf('"', q);
      if (q < 0) {
        this.pos = s.length;
        return this.fail('unterminated string');
      }
      let b = q - 1;
      while (s.charCodeAt(b) === 0x5c) b--;
      if ((q - 1 - b) % 2 === 0) break;
      q++;
    }
    this.pos = q + 1;
    try {
      return JSON.parse(s.slice(start - 1, q + 1)) as string;
    } catch {
      this.pos = start;
      return this.fail('invalid character or escape in string');
    }
  }

  private array(depth: number): unknown[] {
    if (depth > this.maxDepth) this.fail(`nested deeper than ${this.maxDepth} levels`, 'JSON_TOO_DEEP');
    this.pos++;
    const out: unknown[] = [];
    this.ws();
    if (this.s.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth));
      this.ws();
      const c = this.s.charCodeAt(this.pos++);
      if (c === 0x5d) return out;
      if (c !== 0x2c) {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  private object(depth: number): Record<string, unknown> {
    if (depth > this.maxDepth) this.fail(`nested deeper than ${this.maxDepth} levels`, 'JSON_TOO_DEEP');
    this.pos++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.s.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return out;
    }
    for (let keys = 1; ; keys++) {
      this.ws();
      if (this.s.charCodeAt(this.pos) !== 0x22) this.fail('expected a string key');
      if (keys > MAX_OBJECT_KEYS) this.fail(`an object with more than ${MAX_OBJECT_KEYS} keys`, 'JSON_TOO_MANY_VALUES');
      if (++this.values > this.maxValues) this.fail(`more than ${this.maxValues} values`, 'JSON_TOO_MANY_VALUES');
      const at = this.pos;
      const key = this.string();
      if (Object.hasOwn(out, key)) {
        this.pos = at;
        this.fail(`duplicate key ${JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}...` : key)}`, 'JSON_DUPLICATE_KEY');
      }
      this.ws();
      if (this.s.charCodeAt(this.pos++) !== 0x3a) {
        this.pos--;
        this.fail("expected ':'");
      }
      this.ws();
      const v = this.value(depth);
      // An own property even for "__proto__", as JSON.parse makes it (never the prototype).
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
      this.ws();
      const c = this.s.charCodeAt(this.pos++);
      if (c === 0x7d) return out;
      if (c !== 0x2c) {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
    }
  }
}
