/**
 * Builders of hand-made DER for the parser tests: certificates field by field, so each test
 * changes exactly one thing.
 */
import { generateKeyPairSync } from 'node:crypto';
import { encode, Tag } from '../../src/lib/der.js';
import { OID } from '../../src/lib/x509.js';

export const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');
export const seq = (...v: Buffer[]) => encode(Tag.SEQUENCE, v);
export const oid = (dotted: string): Buffer => {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const arcs = [a! * 40 + b!, ...rest];
  const bytes: number[] = [];
  for (const n of arcs) {
    const out = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) out.unshift((v & 0x7f) | 0x80);
    bytes.push(...out);
  }
  return encode(Tag.OID, Buffer.from(bytes));
};
export const int = (n: number) => encode(Tag.INTEGER, Buffer.from([n]));
export const utc = (s: string) => encode(Tag.UTC_TIME, Buffer.from(s));
export const octets = (b: Buffer) => encode(Tag.OCTET_STRING, b);
export const TRUE = hex('0101ff');
export const FALSE = hex('010100');

export const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
export const name = seq(encode(Tag.SET, seq(oid('2.5.4.3'), encode(Tag.UTF8_STRING, Buffer.from('test')))));
export const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });

export const ext = (id: string, value: Buffer, critical?: Buffer) => seq(oid(id), ...(critical ? [critical] : []), octets(value));
export const basic = (...kids: Buffer[]) => ext(OID.basicConstraints, seq(...kids), TRUE);

export interface Parts {
  version?: Buffer | null;
  serial?: Buffer;
  inner?: Buffer;
  outer?: Buffer;
  validity?: Buffer;
  key?: Buffer;
  extensions?: Buffer[] | null;
  extra?: Buffer[];
  signature?: Buffer;
}

export function cert(p: Parts = {}): Buffer {
  const tbs = seq(
    ...(p.version === null ? [] : [encode(0xa0, p.version ?? int(2))]),
    p.serial ?? int(1),
    p.inner ?? ecdsaSha256,
    name,
    p.validity ?? seq(utc('240101000000Z'), utc('340101000000Z')),
    name,
    p.key ?? spki,
    ...(p.extensions === null ? [] : [encode(0xa3, seq(...(p.extensions ?? [basic(TRUE)])))]),
    ...(p.extra ?? []),
  );
  return seq(tbs, p.outer ?? ecdsaSha256, p.signature ?? encode(Tag.BIT_STRING, hex('00 3006020101020101')));
}

