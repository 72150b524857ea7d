/**
 * DER writers (a CSR, an RFC 3161 request, the local instance's TSA tokens), on top of
 * `encode()` from src/lib/der.ts: no ASN.1 library is loaded to sign.
 */
import { encode, Tag } from './der.js';

export const seq = (...items: Buffer[]): Buffer => encode(Tag.SEQUENCE, items);
export const set = (...items: Buffer[]): Buffer => encode(Tag.SET, items);
export const nul = (): Buffer => Buffer.from([Tag.NULL, 0]);
export const bool = (v: boolean): Buffer => Buffer.from([Tag.BOOLEAN, 1, v ? 0xff : 0]);
export const octets = (v: Buffer): Buffer => encode(Tag.OCTET_STRING, v);
export const bits = (v: Buffer): Buffer => encode(Tag.BIT_STRING, [Buffer.from([0]), v]);
export const utf8 = (s: string): Buffer => encode(Tag.UTF8_STRING, Buffer.from(s, 'utf8'));
/** Context-specific constructed tag `[n]` around `content` (IMPLICIT SET OF / EXPLICIT). */
export const ctx = (n: number, ...content: Buffer[]): Buffer => encode(0xa0 | n, content);

/** A non-negative INTEGER, minimal two's complement. */
export function int(v: bigint | number): Buffer {
  let n = BigInt(v);
  if (n < 0n) throw new RangeError('negative INTEGER');
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  } while (n > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return encode(Tag.INTEGER, Buffer.from(bytes));
}

/** An OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map((p) => {
    if (!/^\d+$/.test(p)) throw new RangeError(`bad OID ${dotted}`);
    return BigInt(p);
  });
  if (parts.length < 2) throw new RangeError(`bad OID ${dotted}`);
  const arcs = [parts[0]! * 40n + parts[1]!, ...parts.slice(2)];
  const out: number[] = [];
  for (let a of arcs) {
    const chunk: number[] = [Number(a & 0x7fn)];
    a >>= 7n;
    while (a > 0n) {
      chunk.unshift(Number(a & 0x7fn) | 0x80);
      a >>= 7n;
    }
    out.push(...chunk);
  }
  return encode(Tag.OID, Buffer.from(out));
}

/** PEM armour. */
export function pem(der: Buffer, label: string): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}
