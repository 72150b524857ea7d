/**
 * A forged PKI for crafted-input tests (certificates with chosen extensions and raw DER; test/helpers/forge.ts forges a whole Sigstore instance): CA and leaf certificates with chosen extensions, signed
 * by throwaway keys (src/instance/pki.ts builds them with pkijs), and raw DER for the
 * extension values pkijs would not write (name constraints, odd SANs, odd strings).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as pkijs from 'pkijs';
import { encode, Tag } from '../../src/lib/der.js';
import { Certificate } from '../../src/lib/x509.js';
import {
  authorityKeyIdExt,
  basicConstraintsExt,
  type DnSpec,
  ext,
  extKeyUsageExt,
  buildTbs,
  issueCertificate,
  keyUsageExt,
  OIDS,
  randomSerial,
  signCertificate,
  subjectKeyIdExt,
} from '../../src/instance/pki.js';
import { spki } from '../../src/instance/keys.js';

export { ext, extKeyUsageExt, keyUsageExt, basicConstraintsExt, OIDS };

export function p256(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

export const HOUR = 3600_000;
export const T0 = new Date('2025-06-01T12:00:00Z');

export interface Issued {
  cert: Certificate;
  key: KeyObject;
  dn: DnSpec;
}

/** A CA certificate for `key`, issued by `issuer` (self-signed without one). */
export function forgeCA(
  name: string,
  opts: { issuer?: Issued; pathLen?: number; extensions?: pkijs.Extension[]; notBefore?: Date; notAfter?: Date; key?: KeyObject } = {},
): Issued {
  const key = opts.key ?? p256();
  const dn = { organization: 'forged', commonName: name };
  const signer = opts.issuer?.key ?? key;
  const extensions = [keyUsageExt([5, 6]), basicConstraintsExt(true, opts.pathLen), subjectKeyIdExt(spki(key)), authorityKeyIdExt(spki(signer)), ...(opts.extensions ?? [])];
  const der = issueCertificate({
    serial: randomSerial(),
    subject: dn,
    issuer: opts.issuer?.dn ?? dn,
    notBefore: opts.notBefore ?? new Date(T0.getTime() - 365 * 24 * HOUR),
    notAfter: opts.notAfter ?? new Date(T0.getTime() + 365 * 24 * HOUR),
    spki: spki(key),
    extensions,
    signer,
  });
  return { cert: new Certificate(der), key, dn };
}

/** A leaf certificate issued by `issuer` with exactly `extensions` (and a key of its own). */
export function forgeLeaf(
  issuer: Issued,
  extensions: pkijs.Extension[],
  opts: { notBefore?: Date; notAfter?: Date; subject?: DnSpec; subjectDer?: Buffer; key?: KeyObject } = {},
): Issued {
  const key = opts.key ?? p256();
  const tbs = buildTbs({
    serial: randomSerial(),
    subject: opts.subject ?? {},
    issuer: issuer.dn,
    notBefore: opts.notBefore ?? new Date(T0.getTime() - 5 * 60_000),
    notAfter: opts.notAfter ?? new Date(T0.getTime() + 5 * 60_000),
    spki: spki(key),
    extensions,
    signer: issuer.key,
  });
  if (opts.subjectDer) tbs.subject = pkijs.RelativeDistinguishedNames.fromBER(opts.subjectDer);
  const der = signCertificate(tbs, issuer.key);
  return { cert: new Certificate(der), key, dn: opts.subject ?? {} };
}

// ---- raw DER for extension values ----

/** A GeneralName: `[n] IMPLICIT` primitive with `value` (1 email, 2 DNS, 6 URI, 7 IP). */
export function generalName(n: number, value: string | Buffer): Buffer {
  return encode(0x80 | n, Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1'));
}

/** An otherName GeneralName: type-id OID and `[0] EXPLICIT` around `inner` (full DER of the value). */
export function otherName(oid: string, inner: Buffer): Buffer {
  return encode(0xa0, [oidDer(oid), encode(0xa0, inner)]);
}

export function utf8String(s: string | Buffer): Buffer {
  return encode(Tag.UTF8_STRING, Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'));
}

export function oidDer(oid: string): Buffer {
  const parts = oid.split('.').map(Number);
  const bytes: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const enc: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) enc.unshift((v & 0x7f) | 0x80);
    bytes.push(...enc);
  }
  return encode(Tag.OID, Buffer.from(bytes));
}

/** A Name (SEQUENCE OF RDN) with one attribute per RDN: [OID, DER value] pairs. */
export function nameDer(attributes: [string, Buffer][]): Buffer {
  return encode(
    Tag.SEQUENCE,
    attributes.map(([oid, value]) => encode(Tag.SET, encode(Tag.SEQUENCE, [oidDer(oid), value]))),
  );
}

/** A SubjectAltName extension holding the given GeneralNames (DER each). */
export function sanExtension(names: Buffer[], critical = true): pkijs.Extension {
  return ext(OIDS.subjectAltName, critical, encode(Tag.SEQUENCE, names));
}

/** The extensions of a Fulcio-like code-signing leaf, with `san` and any `extra` ones. */
export function codeSigningExtensions(san: pkijs.Extension, extra: pkijs.Extension[] = []): pkijs.Extension[] {
  return [keyUsageExt([0]), extKeyUsageExt([OIDS.codeSigning], false), san, ...extra];
}
