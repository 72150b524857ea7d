/**
 * A strict, minimal TOML 1.0 reader for the subset lock files use (PEP 751 `pylock.toml`):
 * tables and arrays of tables (dotted names), bare, quoted and dotted keys, basic and literal
 * strings (one-line and multi-line), integers, floats, booleans, date-times (kept as their text),
 * arrays (over several lines, trailing comma allowed) and inline tables. Anything else, a key
 * defined twice, or a value redefined as a table, is refused with the line number. Input size is
 * the caller's to bound.
 */
import { SigstoreError } from '../errors.js';

export type TomlValue = string | number | bigint | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

class Parser {
  private i = 0;
  /** Tables created by a header or a dotted key (may not be redefined by a header). */
  private readonly explicit = new Set<TomlTable>();
  /** Inline tables and arrays given as values (closed to later additions). */
  private readonly closed = new Set<object>();

  constructor(
    private readonly s: string,
    private readonly what: string,
  ) {}

  fail(m: string): never {
    const line = this.s.slice(0, this.i).split('\n').length;
    throw new SigstoreError('LOCKFILE_INVALID', `${this.what} line ${line}: ${m}`);
  }

  private peek(n = 0): string {
    return this.s[this.i + n] ?? '';
  }

  private ws(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.i++;
  }

  private comment(): void {
    if (this.peek() === '#') {
      while (this.i < this.s.length && this.peek() !== '\n') {
        const c = this.s.charCodeAt(this.i);
        if ((c < 0x20 && c !== 9) || c === 0x7f) this.fail('control character in a comment');
        this.i++;
      }
    }
  }

  /** Whitespace, comments and newlines (inside arrays). */
  private wsnl(): void {
    for (;;) {
      this.ws();
      this.comment();
      if (this.peek() === '\n') this.i++;
      else if (this.peek() === '\r' && this.peek(1) === '\n') this.i += 2;
      else return;
    }
  }

  private eol(): void {
    this.ws();
    this.comment();
    if (this.i >= this.s.length) return;
    if (this.peek() === '\n') this.i++;
    else if (this.peek() === '\r' && this.peek(1) === '\n') this.i += 2;
    else this.fail(`unexpected ${JSON.stringify(this.peek())} (expected the end of the line)`);
  }

  parse(): TomlTable {
    const root: TomlTable = {};
    let current = root;
    while (this.i < this.s.length) {
      this.wsnl();
      if (this.i >= this.s.length) break;
      if (this.peek() === '[') {
        const array = this.peek(1) === '[';
        this.i += array ? 2 : 1;
        this.ws();
        const keys = this.key();
        this.ws();
        if (this.s.slice(this.i, this.i + (array ? 2 : 1)) !== (array ? ']]' : ']')) this.fail(`expected ${array ? ']]' : ']'} after the table name`);
        this.i += array ? 2 : 1;
        current = array ? this.arrayTable(root, keys) : this.table(root, keys);
        this.eol();
      } else {
        this.keyValue(current);
        this.eol();
      }
    }
    return root;
  }

  private descend(t: TomlTable, k: string): TomlTable {
    const v = t[k];
    if (v === undefined) {
      const n: TomlTable = {};
      t[k] = n;
      return n;
    }
    if (Array.isArray(v) && !this.closed.has(v)) {
      const last = v[v.length - 1];
      if (typeof last === 'object' && last !== null && !Array.isArray(last)) return last as TomlTable;
    }
    if (typeof v !== 'object' || Array.isArray(v) || this.closed.has(v)) this.fail(`key ${JSON.stringify(k)} is already defined as a value`);
    return v as TomlTable;
  }

  private table(root: TomlTable, keys: string[]): TomlTable {
    let t = root;
    for (const k of keys.slice(0, -1)) t = this.descend(t, k);
    const last = keys[keys.length - 1]!;
    const existing = t[last];
    if (existing !== undefined) {
      if (typeof existing !== 'object' || Array.isArray(existing) || this.closed.has(existing) || this.explicit.has(existing as TomlTable)) {
        this.fail(`table [${keys.join('.')}] is defined twice`);
      }
      this.explicit.add(existing as TomlTable);
      return existing as TomlTable;
    }
    const n: TomlTable = {};
    t[last] = n;
    this.explicit.add(n);
    return n;
  }

  private arrayTable(root: TomlTable, keys: string[]): TomlTable {
    let t = root;
    for (const k of keys.slice(0, -1)) t = this.descend(t, k);
    const last = keys[keys.length - 1]!;
    const existing = t[last];
    const n: TomlTable = {};
    if (existing === undefined) t[last] = [n];
    else if (Array.isArray(existing) && !this.closed.has(existing)) existing.push(n);
    else this.fail(`[[${keys.join('.')}]] redefines a value`);
    this.explicit.add(n);
    return n;
  }

  private keyValue(t: TomlTable): void {
    const keys = this.key();
    this.ws();
    if (this.peek() !== '=') this.fail('expected = after a key');
    this.i++;
    this.ws();
    const value = this.value();
    let target = t;
    for (const k of keys.slice(0, -1)) {
      target = this.descend(target, k);
      this.explicit.add(target);
    }
    const last = keys[keys.length - 1]!;
    if (Object.hasOwn(target, last)) this.fail(`key ${JSON.stringify(keys.join('.'))} is defined twice`);
    target[last] = value;
  }

  private key(): string[] {
    const keys: string[] = [];
    for (;;) {
      this.ws();
      const c = this.peek();
      if (c === '"') keys.push(this.basicString());
      else if (c === "'") keys.push(this.literalString());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(this.s.slice(this.i, this.i + 256));
        if (!m) this.fail(`expected a key, found ${JSON.stringify(c || 'the end')}`);
        keys.push(m[0]);
        this.i += m[0].length;
      }
      this.ws();
      if (this.peek() !== '.') return keys;
      this.i++;
    }
  }

  private value(): TomlValue {
    const c = this.peek();
    if (c === '"') return this.s.startsWith('"""', this.i) ? this.multiline('"""') : this.basicString();
    if (c === "'") return this.s.startsWith("'''", this.i) ? this.multiline("'''") : this.literalString();
    if (c === '[') return this.array();
    if (c === '{') return this.inlineTable();
    const m = /^[^\s,\]}#]+/.exec(this.s.slice(this.i, this.i + 128));
    if (!m) this.fail(`expected a value, found ${JSON.stringify(c || 'the end')}`);
    let tok = m[0];
    // A date-time may have a space between date and time.
    const dt = /^\d{4}-\d{2}-\d{2}[ ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?/.exec(this.s.slice(this.i, this.i + 64));
    if (dt) tok = dt[0];
    this.i += tok.length;
    if (tok === 'true') return true;
    if (tok === 'false') return false;
    if (/^[+-]?(?:0|[1-9](?:_?\d)*)$/.test(tok)) {
      const n = BigInt(tok.replace(/_/g, ''));
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    if (/^0x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*$|^0o[0-7](?:_?[0-7])*$|^0b[01](?:_?[01])*$/.test(tok)) return Number(tok.replace(/_/g, ''));
    if (/^[+-]?(?:0|[1-9](?:_?\d)*)(?:\.\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?$/.test(tok)) return Number(tok.replace(/_/g, ''));
    if (/^[+-]?(?:inf|nan)$/.test(tok)) return Number(tok.replace('inf', 'Infinity').replace(/^[+-]?nan$/, 'NaN'));
    if (/^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})?)?$|^\d{2}:\d{2}:\d{2}(?:\.\d+)?$/.test(tok)) return tok;
    return this.fail(`invalid value ${JSON.stringify(tok)}`);
  }

  private array(): TomlValue[] {
    this.i++;
    const out: TomlValue[] = [];
    for (;;) {
      this.wsnl();
      if (this.peek() === ']') break;
      out.push(this.value());
      this.wsnl();
      if (this.peek() === ',') this.i++;
      else if (this.peek() !== ']') this.fail('expected , or ] in an array');
    }
    this.i++;
    this.closed.add(out);
    return out;
  }

  private inlineTable(): TomlTable {
    this.i++;
    const t: TomlTable = {};
    this.ws();
    if (this.peek() === '}') {
      this.i++;
      this.closed.add(t);
      return t;
    }
    for (;;) {
      this.ws();
      this.keyValue(t);
      this.ws();
      if (this.peek() === ',') this.i++;
      else if (this.peek() === '}') break;
      else this.fail('expected , or } in an inline table');
    }
    this.i++;
    this.closed.add(t);
    return t;
  }

  private literalString(): string {
    const end = this.s.indexOf("'", this.i + 1);
    const nl = this.s.indexOf('\n', this.i + 1);
    if (end < 0 || (nl >= 0 && nl < end)) this.fail('unterminated string');
    const v = this.s.slice(this.i + 1, end);
    this.i = end + 1;
    return v;
  }

  private basicString(): string {
    this.i++;
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === '' || c === '\n') this.fail('unterminated string');
      this.i++;
      if (c === '"') return out;
      if (c === '\\') out += this.escape();
      else {
        const code = c.charCodeAt(0);
        if ((code < 0x20 && code !== 9) || code === 0x7f) this.fail('control character in a string');
        out += c;
      }
    }
  }

  private escape(): string {
    const c = this.peek();
    this.i++;
    const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };
    if (Object.hasOwn(simple, c)) return simple[c]!;
    if (c === 'u' || c === 'U') {
      const n = c === 'u' ? 4 : 8;
      const hex = this.s.slice(this.i, this.i + n);
      if (!new RegExp(`^[0-9A-Fa-f]{${n}}$`).test(hex)) this.fail('invalid unicode escape');
      const cp = Number.parseInt(hex, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) this.fail('invalid unicode scalar value');
      this.i += n;
      return String.fromCodePoint(cp);
    }
    return this.fail(`invalid escape \\${c}`);
  }

  private multiline(delim: string): string {
    this.i += 3;
    if (this.peek() === '\n') this.i++;
    else if (this.peek() === '\r' && this.peek(1) === '\n') this.i += 2;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) this.fail('unterminated multi-line string');
      if (this.s.startsWith(delim, this.i)) {
        // Up to two quotes may end the content right before the delimiter.
        let extra = 0;
        while (extra < 2 && this.s[this.i + 3 + extra] === delim[0]) extra++;
        out += delim[0]!.repeat(extra);
        this.i += 3 + extra;
        return out;
      }
      const c = this.peek();
      this.i++;
      if (delim === '"""' && c === '\\') {
        if (/^[ \t]*\r?\n/.test(this.s.slice(this.i, this.i + 64))) {
          while (/[ \t\r\n]/.test(this.peek())) this.i++;
        } else out += this.escape();
      } else out += c;
    }
  }
}

/**
 * Parses TOML text (the subset lock files use) into plain objects. Throws a SigstoreError
 * (code `LOCKFILE_INVALID`) naming the line of the first problem.
 *
 * @example
 * ```ts
 * parseToml('lock-version = "1.0"\n[[packages]]\nname = "a"\n'); // { 'lock-version': '1.0', packages: [{ name: 'a' }] }
 * ```
 */
export function parseToml(text: string, what = 'TOML'): TomlTable {
  return new Parser(text.startsWith('\ufeff') ? text.slice(1) : text, what).parse();
}
