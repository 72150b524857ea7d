/**
 * Embedded SCTs of leaves issued by a forged CA, wrong in one detail, each refused at the sct
 * step with the reason that names it (reasons share codes, so the message is asserted too).
 */
import { describe, it } from 'node:test';
import { verifySCTs } from '../../src/verify/sct.js';
import { Certificate } from '../../src/lib/x509.js';
import { encode, Tag } from '../../src/lib/der.js';
import { ForgedPki } from '../helpers/forge.js';
import { rejectsAt } from '../helpers/tamper.js';
import { generateKeyPairSync } from 'node:crypto';

const pki = new ForgedPki();
const trust = pki.trust();
const inter = new Certificate(pki.inter);
const key = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const leaf = (o: Parameters<ForgedPki['leaf']>[1]) => new Certificate(pki.leaf(key(), o));
const rejects = (c: Certificate, code: string, message?: RegExp) => rejectsAt('sct', () => verifySCTs(c, inter, trust), code, message);

describe('sct: list and algorithm details', () => {
  it('a forged leaf verifies', () => {
    verifySCTs(leaf({}), inter, trust);
  });

  it('SCT_MALFORMED: an empty SerializedSCT', () => {
    rejects(leaf({ sctValue: () => encode(Tag.OCTET_STRING, Buffer.from([0, 2, 0, 0])) }), 'SCT_MALFORMED', /empty SerializedSCT/);
  });

  it('SCT_MALFORMED: an empty list', () => {
    rejects(leaf({ sctValue: () => encode(Tag.OCTET_STRING, Buffer.from([0, 0])) }), 'SCT_MALFORMED', /is empty/);
  });

  it('SCT_MALFORMED: a list with trailing bytes', () => {
    rejects(leaf({ sctValue: (v) => encode(Tag.OCTET_STRING, Buffer.concat([v.subarray(2), Buffer.from([0])])) }), 'SCT_MALFORMED');
  });

  it('SCT_SIGNATURE_INVALID: an unknown signature algorithm', () => {
    rejects(leaf({ sct: (s) => { s.signatureAlgorithm = 9; } }), 'SCT_SIGNATURE_INVALID', /unsupported signature algorithm 9/);
  });

  it('SCT_UNSUPPORTED_ALGORITHM: a hash other than SHA-256 (RFC 6962)', () => {
    rejects(leaf({ sct: (s) => { s.hashAlgorithm = 2; } }), 'SCT_UNSUPPORTED_ALGORITHM', /TLS hash algorithm 2, not SHA-256/);
  });

  it('SCT_UNSUPPORTED_ALGORITHM: an Ed25519 label (hash 8) on an ECDSA log', () => {
    rejects(leaf({ sct: (s) => { s.signatureAlgorithm = 7; s.hashAlgorithm = 8; } }), 'SCT_UNSUPPORTED_ALGORITHM', /TLS hash algorithm 8, not SHA-256/);
  });

  it('SCT_SIGNATURE_INVALID: an Ed25519 signature label with SHA-256 on an ECDSA log', () => {
    rejects(leaf({ sct: (s) => { s.signatureAlgorithm = 7; } }), 'SCT_SIGNATURE_INVALID', /unsupported signature algorithm 7/);
  });

  it('SCT_UNSUPPORTED_VERSION: an SCT of version 2', () => {
    rejects(leaf({ sct: (s) => { s.version = 1; } }), 'SCT_UNSUPPORTED_VERSION');
  });

  it("SCT_OUTSIDE_LOG_VALIDITY: an SCT dated before the CT log key's window", () => {
    rejects(leaf({ sctTime: new Date(pki.start.getTime() - 1000) }), 'SCT_OUTSIDE_LOG_VALIDITY');
  });

  it('SCT_MISSING: no SCT list', () => {
    rejects(leaf({ noSct: true }), 'SCT_MISSING');
  });
});
