/**
 * A minimal, strict DER reader: just enough ASN.1 to read certificates, SCT lists, CMS
 * SignedData and RFC 3161 tokens without loading a general-purpose ASN.1 library (start-up
 * time matters). Values are views into the input buffer; nothing is copied.
 */

export class DerError extends Error {}

/** Universal tags used by the readers. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
} as const;

export class Der {
  /** Full encoding (tag, length and value). */
  readonly raw: Buffer;
  /** Identifier octet. */
  readonly tag: number;
  /** Contents octets. */
  readonly value: Buffer;
  private kids: Der[] | undefined;

  constructor(raw: Buffer, tag: number, value: Buffer) {
    this.raw = raw;
    this.tag = tag;
    this.value = value;
  }

  /** Parses exactly one element covering all of `buf`. */
  static parse(buf: Buffer): Der {
    const [el, end] = readElement(buf, 0);
    if (end !== buf.length) throw new DerError('trailing bytes after DER element');
    return el;
  }

  get constructed(): boolean {
    return (this.tag & 0x20) !== 0;
  }

  /** Context-specific tag number, or -1. */
  get contextTag(): number {
    return (this.tag & 0xc0) === 0x80 ? this.tag & 0x1f : -1;
  }

  get children(): Der[] {
    if (this.kids === undefined) {
      if (!this.constructed) throw new DerError(`element with tag 0x${this.tag.toString(16)} is not constructed`);
      const kids: Der[] = [];
      let off = 0;
      while (off < this.value.length) {
        const [el, end] = readElement(this.value, off);
        kids.push(el);
        off = end;
      }
      this.kids = kids;
    }
    return this.kids;
  }

  child(i: number): Der {
    const c = this.children[i];
    if (c === undefined) throw new DerError(`missing ASN.1 element #${i}`);
    return c;
  }

  expect(tag: number, what: string): this {
    if (this.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${this.tag.toString(16)}`);
    return this;
  }

  /** Re-reads an implicitly or explicitly tagged element's content as one inner element. */
  inner(): Der {
    return Der.parse(this.value);
  }

  oid(): string {
    this.expect(Tag.OID, 'OID');
    return decodeOid(this.value);
  }

  bigint(): bigint {
    this.expect(Tag.INTEGER, 'INTEGER');
    if (this.value.length === 0) throw new DerError('empty INTEGER');
    let n = 0n;
    for (const b of this.value) n = (n << 8n) | BigInt(b);
    if (this.value[0]! & 0x80) n -= 1n << BigInt(this.value.length * 8);
    return n;
  }

  int(): number {
    const n = this.bigint();
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)) throw new DerError('INTEGER too large');
    return Number(n);
  }

  bool(): boolean {
    this.expect(Tag.BOOLEAN, 'BOOLEAN');
    if (this.value.length !== 1) throw new DerError('bad BOOLEAN');
    return this.value[0] !== 0;
  }

  /** BIT STRING contents without the unused-bits octet. */
  bits(): Buffer {
    this.expect(Tag.BIT_STRING, 'BIT STRING');
    if (this.value.length < 1) throw new DerError('empty BIT STRING');
    return this.value.subarray(1);
  }

  /** UTCTime or GeneralizedTime. */
  date(): Date {
    const s = this.value.toString('latin1');
    let m: RegExpMatchArray | null;
    if (this.tag === Tag.UTC_TIME) {
      m = s.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/);
      if (!m) throw new DerError(`bad UTCTime ${JSON.stringify(s)}`);
      const yy = Number(m[1]);
      return utc(yy >= 50 ? 1900 + yy : 2000 + yy, m, '');
    }
    if (this.tag === Tag.GENERALIZED_TIME) {
      m = s.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/);
      if (!m) throw new DerError(`bad GeneralizedTime ${JSON.stringify(s)}`);
      return utc(Number(m[1]), m, m[7] ?? '');
    }
    throw new DerError(`expected a time, got tag 0x${this.tag.toString(16)}`);
  }

  string(): string {
    return this.value.toString('utf8');
  }
}

function utc(year: number, m: RegExpMatchArray, frac: string): Date {
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms));
}

function readElement(buf: Buffer, off: number): [Der, number] {
  const start = off;
  if (off + 2 > buf.length) throw new DerError('truncated DER element');
  const tag = buf[off++]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let len = buf[off++]!;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('unsupported DER length');
    if (off + n > buf.length) throw new DerError('truncated DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off++]!;
    if (len < 0x80 || (n > 1 && buf[off - n] === 0)) throw new DerError('non-minimal DER length');
  }
  const end = off + len;
  if (end > buf.length) throw new DerError('DER element overruns its container');
  return [new Der(buf.subarray(start, end), tag, buf.subarray(off, end)), end];
}

export function decodeOid(v: Buffer): string {
  if (v.length === 0) throw new DerError('empty OID');
  const parts: number[] = [];
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const b = v[i]!;
    n = n * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(n);
      n = 0;
    } else if (i === v.length - 1) throw new DerError('truncated OID');
  }
  const first = parts.shift()!;
  const a = first < 80 ? Math.floor(first / 40) : 2;
  return [a, first - a * 40, ...parts].join('.');
}

// ---- encoding (used to rebuild structures, such as a precertificate TBS for SCT checks) ----

export function encodeLength(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  while (len > 0) {
    bytes.unshift(len & 0xff);
    len = Math.floor(len / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function encode(tag: number, value: Buffer | Buffer[]): Buffer {
  const v = Array.isArray(value) ? Buffer.concat(value) : value;
  return Buffer.concat([Buffer.from([tag]), encodeLength(v.length), v]);
}
