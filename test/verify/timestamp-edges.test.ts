/**
 * RFC 3161 tokens signed by a forged TSA (test/helpers/forge.ts) that are wrong in one detail the
 * signature covers, each refused at the timestamp step with the reason that names it: missing or
 * malformed signed attributes, algorithm parameters, an ESS attribute with two values or an
 * unknown hash, a signature algorithm that does not match the signer's key.
 */
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { encode, Tag } from '../../src/lib/der.js';
import { int, nul, octets, oid, seq } from '../../src/lib/der-write.js';
import { verifyTimestamps } from '../../src/verify/timestamp.js';
import { ForgedPki } from '../helpers/forge.js';
import { rejectsAt } from '../helpers/tamper.js';

const pki = new ForgedPki();
const trust = pki.trust();
const signature = Buffer.from('the signature the token covers');
const SHA256 = '2.16.840.1.101.3.4.2.1';
const genTime = (d: Date) => encode(Tag.GENERALIZED_TIME, Buffer.from(`${d.toISOString().slice(0, 19).replace(/[-:T]/g, '')}Z`, 'ascii'));
const token = (o: Omit<Parameters<ForgedPki['token']>[0], 'signature' | 'time'> = {}) => pki.token({ signature, time: pki.now, ...o });
const rejects = (t: Buffer, code: string, message?: RegExp) => rejectsAt('timestamp', () => verifyTimestamps([t], signature, trust), code, message);

/** A TSTInfo over the signature whose imprint AlgorithmIdentifier is `alg`. */
const tstWith = (alg: Buffer) =>
  seq(int(1), oid('1.3.6.1.4.1.57264.2'), seq(alg, octets(createHash('sha256').update(signature).digest())), int(7), genTime(pki.now));

describe('timestamp: signed attributes', () => {
  it('the untampered token verifies', () => {
    verifyTimestamps([token()], signature, trust);
  });

  it('TIMESTAMP_MALFORMED: no content-type attribute', () => {
    rejects(token({ attributes: (a) => { a.contentType = null; } }), 'TIMESTAMP_MALFORMED', /: it needs exactly one content-type signed attribute value$/);
  });

  it('TIMESTAMP_MALFORMED: a content-type attribute that is not an OID', () => {
    rejects(token({ attributes: (a) => { a.contentType = [octets(Buffer.from('x'))]; } }), 'TIMESTAMP_MALFORMED', /bad content-type attribute/);
  });

  it('TIMESTAMP_MALFORMED: no message-digest attribute', () => {
    rejects(token({ attributes: (a) => { a.messageDigest = null; } }), 'TIMESTAMP_MALFORMED', /exactly one message-digest/);
  });

  it('TIMESTAMP_MALFORMED: a message digest that is an INTEGER holding the right bytes', () => {
    let tstHash = Buffer.alloc(0);
    const t = token({
      tstInfo: (d) => {
        tstHash = createHash('sha256').update(d).digest();
        return d;
      },
      attributes: (a) => { a.messageDigest = [encode(Tag.INTEGER, Buffer.concat([Buffer.from([0]), tstHash]))]; },
    });
    rejects(t, 'TIMESTAMP_MALFORMED', /not an OCTET STRING/);
  });

  it('TIMESTAMP_MALFORMED: a signing-certificate attribute with two values', () => {
    rejects(token({ attributes: (a) => { a.signingCertificate = [...a.signingCertificate!, ...a.signingCertificate!]; } }), 'TIMESTAMP_MALFORMED', /exactly one value/);
  });

  it('TIMESTAMP_MALFORMED: an ESSCertIDv2 with an unknown hash algorithm', () => {
    const md5 = seq(oid('1.2.840.113549.2.5'));
    rejects(token({ attributes: (a) => { a.signingCertificate = [seq(seq(seq(md5, octets(Buffer.alloc(16)))))]; } }), 'TIMESTAMP_MALFORMED', /unsupported hash algorithm 1\.2\.840\.113549\.2\.5/);
  });

  it('TIMESTAMP_MALFORMED: an IssuerSerial without its serial number; an ESSCertIDv2 with extra fields', () => {
    const certHash = octets(createHash('sha256').update(pki.tsaLeaf).digest());
    const sha256 = seq(oid(SHA256));
    rejects(token({ attributes: (a) => { a.signingCertificate = [seq(seq(seq(sha256, certHash, seq(seq()))))]; } }), 'TIMESTAMP_MALFORMED', /IssuerSerial needs an issuer and a serial number/);
    rejects(token({ attributes: (a) => { a.signingCertificate = [seq(seq(seq(sha256, certHash, seq(seq(), int(1n)), octets(Buffer.alloc(1)))))]; } }), 'TIMESTAMP_MALFORMED', /ESSCertID has extra fields/);
  });

  it('an ESSCertIDv2 naming SHA-256 explicitly verifies; SHA-512 over another certificate does not', () => {
    const hash = (alg: 'sha256' | 'sha512') => createHash(alg).update(pki.tsaLeaf).digest();
    verifyTimestamps([token({ attributes: (a) => { a.signingCertificate = [seq(seq(seq(seq(oid(SHA256)), octets(hash('sha256')))))]; } })], signature, trust);
    const sha512 = seq(oid('2.16.840.1.101.3.4.2.3'));
    verifyTimestamps([token({ attributes: (a) => { a.signingCertificate = [seq(seq(seq(sha512, octets(hash('sha512')))))]; } })], signature, trust);
    rejects(token({ attributes: (a) => { a.signingCertificate = [seq(seq(seq(sha512, octets(Buffer.alloc(64)))))]; } }), 'TIMESTAMP_SIGNER_MISMATCH');
  });
});

describe('timestamp: algorithms', () => {
  it('a message imprint algorithm with NULL parameters verifies', () => {
    verifyTimestamps([token({ tstInfo: () => tstWith(seq(oid(SHA256), nul())) })], signature, trust);
  });

  it('TIMESTAMP_UNSUPPORTED_ALGORITHM: a message imprint algorithm with non-NULL parameters', () => {
    rejects(token({ tstInfo: () => tstWith(seq(oid(SHA256), int(0))) }), 'TIMESTAMP_UNSUPPORTED_ALGORITHM', /message imprint hash algorithm/);
  });

  it('TIMESTAMP_MALFORMED: a NULL with content is not DER (refused when the token is read)', () => {
    rejects(token({ tstInfo: () => tstWith(seq(oid(SHA256), encode(Tag.NULL, Buffer.from([0])))) }), 'TIMESTAMP_MALFORMED');
  });

  it('TIMESTAMP_SIGNATURE_INVALID: an ECDSA signature labelled sha256WithRSAEncryption', () => {
    rejects(token({ signatureAlgorithm: seq(oid('1.2.840.113549.1.1.11'), nul()) }), 'TIMESTAMP_SIGNATURE_INVALID');
  });

  it('an ECDSA signature labelled with the key algorithm (id-ecPublicKey) verifies with the digest algorithm', () => {
    verifyTimestamps([token({ signatureAlgorithm: seq(oid('1.2.840.10045.2.1')) })], signature, trust);
  });

  it('TIMESTAMP_SIGNATURE_INVALID: an ECDSA signature labelled rsaEncryption', () => {
    rejects(token({ signatureAlgorithm: seq(oid('1.2.840.113549.1.1.1'), nul()) }), 'TIMESTAMP_SIGNATURE_INVALID');
  });
});
