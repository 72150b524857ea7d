/**
 * Certificates and keys refused by the X.509 reader, one rule at a time, on a forged leaf.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { Der, DerError, encode, Tag } from '../../src/lib/der.js';
import { Certificate, checkSpkiShape } from '../../src/lib/x509.js';
import { ForgedPki, utf8Ext } from '../helpers/forge.js';

const pki = new ForgedPki();
const key = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const leaf = pki.leaf(key().privateKey);
const refused = (f: () => unknown, message?: RegExp) =>
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof DerError, `a DerError, got ${String(e)}`);
    if (message) assert.match(e.message, message);
    return true;
  });
const NULL = Buffer.from([5, 0]);
/** The SEQUENCE `der` with `extra` appended to its children. */
const withExtra = (der: Buffer, extra: Buffer) => encode(Tag.SEQUENCE, [...Der.parse(der).children.map((c) => c.raw), extra]);

describe('X.509 reader', () => {
  it('reads the forged leaf and its key', () => {
    const c = new Certificate(leaf);
    checkSpkiShape(c.spki);
    assert.equal(Certificate.fromPEM(c.toPEM()).fingerprint, c.fingerprint);
  });

  it('a SubjectPublicKeyInfo with a third field', () => {
    const spki = key().publicKey.export({ format: 'der', type: 'spki' }) as Buffer;
    refused(() => checkSpkiShape(withExtra(spki, NULL)), /algorithm and a key/);
  });

  it('an AlgorithmIdentifier with three fields', () => {
    const spki = key().publicKey.export({ format: 'der', type: 'spki' }) as Buffer;
    const [alg, bits] = Der.parse(spki).children;
    refused(() => checkSpkiShape(encode(Tag.SEQUENCE, [withExtra(alg!.raw, NULL), bits!.raw])), /malformed AlgorithmIdentifier/);
  });

  it('a certificate with a fourth field', () => {
    refused(() => new Certificate(withExtra(leaf, NULL)), /exactly three fields/);
  });

  it('a certificate with the same extension twice', () => {
    const dup = pki.leaf(key().privateKey, { extensions: (d) => [...d, utf8Ext('1.3.6.1.4.1.57264.1.8', 'https://other.test')] });
    refused(() => new Certificate(dup), /duplicate certificate extension 1\.3\.6\.1\.4\.1\.57264\.1\.8/);
  });

  it('a PEM text without a certificate', () => {
    refused(() => Certificate.fromPEM('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'), /no PEM certificate/);
  });
});
