/**
 * A minimal, strict DER reader: just enough ASN.1 to read certificates, SCT lists, CMS
 * SignedData and RFC 3161 tokens without loading a general-purpose ASN.1 library (start-up
 * time matters). Values are views into the input buffer; nothing is copied.
 */

import { type ErrorCode, SigstoreError } from '../errors.js';
import { remember } from './remember.js';
import { digits } from './shapes.js';

/**
 * Malformed DER. `code` says which rule was broken (DER_TRUNCATED, DER_LENGTH_NONMINIMAL, ...);
 * the readers built on this one (x509.ts, cms.ts) add their own codes (X509_*, CMS_*).
 * Verification wraps it in a VerificationError naming its step.
 */
export class DerError extends SigstoreError {
  constructor(message: string, code: ErrorCode = 'DER_INVALID') {
    super(code, message);
  }
}

/** Deepest nesting the reader descends to: certificates need about 10 levels. */
export const MAX_DER_DEPTH = 32;

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

/** OIDs already decoded, by their contents octets (latin1). */
const decodedOids = new Map<string, string>();
const DECODED_OIDS_MAX = 512;
const DECODED_OID_MAX_BYTES = 32;

/** @internal How many decoded OIDs are remembered (for tests of the bounds above). */
export function rememberedOidCount(): number {
  return decodedOids.size;
}

export class Der {
  /** Identifier octet. */
  readonly tag: number;
  /** Nesting level (0 for an element parsed from a buffer of its own). */
  readonly depth: number;
  /**
   * Where the element lies in the buffer it was read from: its encoding from `#start` to `#end`,
   * its contents from `#off`. The `raw` and `value` Buffers are made when first asked for: most
   * elements of a certificate are only walked through, and an element read costs one object.
   */
  readonly #buf: Buffer;
  readonly #start: number;
  readonly #off: number;
  readonly #end: number;
  #raw: Buffer | undefined;
  #value: Buffer | undefined;
  #kids: Der[] | undefined;

  private constructor(buf: Buffer, tag: number, start: number, off: number, end: number, depth: number) {
    this.tag = tag;
    this.depth = depth;
    this.#buf = buf;
    this.#start = start;
    this.#off = off;
    this.#end = end;
  }

  /** Full encoding (tag, length and value). */
  get raw(): Buffer {
    this.#raw ??= this.#buf.subarray(this.#start, this.#end);
    return this.#raw;
  }

  /** Contents octets. */
  get value(): Buffer {
    this.#value ??= this.#buf.subarray(this.#off, this.#end);
    return this.#value;
  }

  /** Parses exactly one element covering all of `buf`. */
  static parse(buf: Buffer, depth = 0): Der {
    const el = Der.#read(buf, 0, buf.length, depth);
    if (el.#end !== buf.length) throw new DerError('trailing bytes after DER element', 'DER_TRAILING_BYTES');
    return el;
  }

  /** The same element read with another tag: an IMPLICIT tag's contents as the type it stands for. */
  as(tag: number): Der {
    return new Der(this.#buf, tag, this.#start, this.#off, this.#end, this.depth);
  }

  /** Reads the element at `off` of `buf`, which must end by `limit` (its container's end). */
  static #read(buf: Buffer, off: number, limit: number, depth: number): Der {
    if (depth > MAX_DER_DEPTH) throw new DerError(`DER nested deeper than ${MAX_DER_DEPTH} levels`, 'DER_TOO_DEEP');
    const start = off;
    if (off + 2 > limit) throw new DerError('truncated DER element', 'DER_TRUNCATED');
    const tag = buf[off++]!;
    if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported', 'DER_TAG_UNSUPPORTED');
    let len = buf[off++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0) throw new DerError('indefinite length is not DER', 'DER_LENGTH_INVALID');
      if (n > 4) throw new DerError('unsupported DER length', 'DER_LENGTH_INVALID');
      if (off + n > limit) throw new DerError('truncated DER length', 'DER_TRUNCATED');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[off++]!;
      if (len < 0x80 || buf[off - n] === 0) throw new DerError('non-minimal DER length', 'DER_LENGTH_NONMINIMAL');
    }
    const end = off + len;
    if (end > limit) throw new DerError('DER element overruns its container', 'DER_TRUNCATED');
    if (tag === Tag.NULL && len !== 0) throw new DerError('NULL with contents', 'DER_NULL_INVALID');
    return new Der(buf, tag, start, off, end, depth);
  }

  get constructed(): boolean {
    return (this.tag & 0x20) !== 0;
  }

  /** Context-specific tag number, or -1. */
  get contextTag(): number {
    return (this.tag & 0xc0) === 0x80 ? this.tag & 0x1f : -1;
  }

  get children(): Der[] {
    if (this.#kids === undefined) {
      if (!this.constructed) throw new DerError(`element with tag 0x${this.tag.toString(16)} is not constructed`, 'DER_NOT_CONSTRUCTED');
      const kids: Der[] = [];
      for (let off = this.#off; off < this.#end; ) {
        const el = Der.#read(this.#buf, off, this.#end, this.depth + 1);
        kids.push(el);
        off = el.#end;
      }
      this.#kids = kids;
    }
    return this.#kids;
  }

  child(i: number): Der {
    const c = this.children[i];
    if (c === undefined) throw new DerError(`missing ASN.1 element #${i}`, 'DER_MISSING_ELEMENT');
    return c;
  }

  expect(tag: number, what: string): this {
    if (this.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${this.tag.toString(16)}`, 'DER_UNEXPECTED_TAG');
    return this;
  }

  /** Re-reads an implicitly or explicitly tagged element's content as one inner element. */
  inner(): Der {
    const el = Der.#read(this.#buf, this.#off, this.#end, this.depth + 1);
    if (el.#end !== this.#end) throw new DerError('trailing bytes after DER element', 'DER_TRAILING_BYTES');
    return el;
  }

  oid(): string {
    this.expect(Tag.OID, 'OID');
    // A pure function of the contents: the few OIDs Sigstore's structures use are decoded once
    // (short ones only, so that what the cache holds stays small whatever an input carries).
    if (this.#end - this.#off > DECODED_OID_MAX_BYTES) return decodeOid(this.value);
    return remember(decodedOids, DECODED_OIDS_MAX, this.#buf.toString('latin1', this.#off, this.#end), () => decodeOid(this.value));
  }

  /** INTEGER, in its minimal two's-complement encoding (X.690 8.3.2). */
  bigint(): bigint {
    this.expect(Tag.INTEGER, 'INTEGER');
    return integer(this.value);
  }

  int(): number {
    const n = this.bigint();
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)) throw new DerError('INTEGER too large', 'DER_INTEGER_RANGE');
    return Number(n);
  }

  /** BOOLEAN: DER allows only 0x00 (FALSE) and 0xFF (TRUE) (X.690 11.1). */
  bool(): boolean {
    this.expect(Tag.BOOLEAN, 'BOOLEAN');
    const v = this.value;
    if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff)) throw new DerError('BOOLEAN must be one octet, 0x00 or 0xFF', 'DER_BOOLEAN_INVALID');
    return v[0] === 0xff;
  }

  /** BIT STRING contents of a whole number of octets (keys, signatures): unused bits must be 0. */
  bits(): Buffer {
    const { unused, bytes } = this.bitString();
    if (unused !== 0) throw new DerError('BIT STRING has unused bits', 'DER_BIT_STRING_INVALID');
    return bytes;
  }

  /** BIT STRING contents and the count of unused trailing bits (which DER requires to be 0). */
  bitString(): { unused: number; bytes: Buffer } {
    this.expect(Tag.BIT_STRING, 'BIT STRING');
    const v = this.value;
    if (v.length < 1) throw new DerError('empty BIT STRING', 'DER_BIT_STRING_INVALID');
    const unused = v[0]!;
    if (unused > 7 || (v.length === 1 && unused !== 0)) throw new DerError(`BIT STRING with ${unused} unused bits`, 'DER_BIT_STRING_INVALID');
    if (unused && (v[v.length - 1]! & ((1 << unused) - 1)) !== 0) throw new DerError('BIT STRING unused bits are not zero', 'DER_BIT_STRING_INVALID');
    return { unused, bytes: v.subarray(1) };
  }

  /**
   * UTCTime or GeneralizedTime as RFC 5280 4.1.2.5 profiles them: UTC ('Z'), with seconds,
   * UTCTime years 50-99 are 19xx and 00-49 are 20xx. Fractional seconds only where
   * `fraction` allows them (RFC 3161 genTime), without trailing zeros (X.690 11.7).
   */
  date({ fraction = false }: { fraction?: boolean } = {}): Date {
    // Read character by character, not with a regular expression: compiling one costs a one-shot
    // verification more than reading every time in its certificates.
    const s = this.value.toString('latin1');
    const n = s.length;
    const bad = (what: string) => new DerError(`bad ${what} ${JSON.stringify(s)}`, 'DER_TIME_INVALID');
    if (this.tag === Tag.UTC_TIME) {
      // YYMMDDHHMMSSZ
      if (n !== 13 || s[12] !== 'Z' || !digits(s, 0, 12)) throw bad('UTCTime');
      const yy = twoDigits(s, 0);
      return utc(yy >= 50 ? 1900 + yy : 2000 + yy, s, 2, 0);
    }
    if (this.tag === Tag.GENERALIZED_TIME) {
      // YYYYMMDDHHMMSS[.F*]Z, the fraction without trailing zeros (at least one digit, the last not 0)
      if (n < 15 || s[n - 1] !== 'Z' || !digits(s, 0, 14)) throw bad('GeneralizedTime');
      let ms = 0;
      if (n > 15) {
        if (!fraction || s[14] !== '.' || n < 17 || !digits(s, 15, n - 1) || s[n - 2] === '0') throw bad('GeneralizedTime');
        ms = Math.floor(Number(`0${s.slice(14, n - 1)}`) * 1000);
      }
      return utc(twoDigits(s, 0) * 100 + twoDigits(s, 2), s, 4, ms);
    }
    throw new DerError(`expected a time, got tag 0x${this.tag.toString(16)}`, 'DER_UNEXPECTED_TAG');
  }

  string(): string {
    return this.value.toString('utf8');
  }
}

/** Decodes a minimal two's-complement INTEGER body. */
export function integer(v: Buffer): bigint {
  if (v.length === 0) throw new DerError('empty INTEGER', 'DER_INTEGER_INVALID');
  if (v.length > 1 && ((v[0] === 0 && v[1]! < 0x80) || (v[0] === 0xff && v[1]! >= 0x80))) {
    throw new DerError('INTEGER is not minimally encoded', 'DER_INTEGER_NONMINIMAL');
  }
  const n = BigInt(`0x${v.toString('hex')}`);
  return v[0]! & 0x80 ? n - (1n << BigInt(v.length * 8)) : n;
}

/** The two ASCII digits at `s[i]`, `s[i + 1]` as a number. */
const twoDigits = (s: string, i: number): number => (s.charCodeAt(i) - 0x30) * 10 + s.charCodeAt(i + 1) - 0x30;

/** The time of `year` and the MMDDHHMMSS at `s[at]`; refused when a field is out of range. */
function utc(year: number, s: string, at: number, ms: number): Date {
  const mo = twoDigits(s, at);
  const d = twoDigits(s, at + 2);
  const h = twoDigits(s, at + 4);
  const mi = twoDigits(s, at + 6);
  const sec = twoDigits(s, at + 8);
  const t = new Date(Date.UTC(year, mo - 1, d, h, mi, sec, ms));
  // Date.UTC rolls 31 April over to 1 May: a field out of range changes the date read back.
  if (t.getUTCFullYear() !== year || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d || t.getUTCHours() !== h || t.getUTCMinutes() !== mi || t.getUTCSeconds() !== sec) {
    throw new DerError(`time ${JSON.stringify(s)} is out of range`, 'DER_TIME_INVALID');
  }
  return t;
}

/** Largest OID arc read: arcs fit a safe integer (Go's encoding/asn1 stops at 31 bits). */
const MAX_ARC = 2 ** 49;

export function decodeOid(v: Buffer): string {
  if (v.length === 0) throw new DerError('empty OID', 'DER_OID_INVALID');
  const parts: number[] = [];
  let n = 0;
  let first = true;
  for (let i = 0; i < v.length; i++) {
    const b = v[i]!;
    if (first && b === 0x80) throw new DerError('OID arc is not minimally encoded (leading 0x80)', 'DER_OID_INVALID');
    first = false;
    n = n * 128 + (b & 0x7f);
    if (n >= MAX_ARC) throw new DerError('OID arc too large', 'DER_OID_INVALID');
    if (!(b & 0x80)) {
      parts.push(n);
      n = 0;
      first = true;
    } else if (i === v.length - 1) throw new DerError('truncated OID', 'DER_OID_INVALID');
  }
  const head = parts.shift()!;
  const a = head < 80 ? Math.floor(head / 40) : 2;
  return [a, head - a * 40, ...parts].join('.');
}

// ---- encoding (used to rebuild structures, such as a precertificate TBS for SCT checks) ----

/** A DER element's identifier and length octets, for contents of `len` bytes. */
export function encodeHeader(tag: number, len: number): Buffer {
  if (len < 0x80) return Buffer.from([tag, len]);
  const bytes: number[] = [];
  while (len > 0) {
    bytes.unshift(len & 0xff);
    len = Math.floor(len / 256);
  }
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

export function encode(tag: number, value: Buffer | Buffer[]): Buffer {
  const parts = Array.isArray(value) ? value : [value];
  let len = 0;
  for (const p of parts) len += p.length;
  const head = encodeHeader(tag, len);
  return Buffer.concat([head, ...parts], head.length + len);
}
