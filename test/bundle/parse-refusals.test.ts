/**
 * Bundle structure refused at the bundle step (BUNDLE_INVALID), one rule at a time, on a bundle
 * from the forged PKI that parses untampered.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BundleError } from '../../src/errors.js';
import { parseBundle } from '../../src/bundle/parse.js';
import { ForgedPki, type Json } from '../helpers/forge.js';

const pki = new ForgedPki();
const message = pki.bundle({ tsa: true }).json;
const dsse = pki.bundle({ kind: 'dsse' }).json;
const V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
const V02 = 'application/vnd.dev.sigstore.bundle+json;version=0.2';

function refused(base: Json, change: (j: Json) => void, why: RegExp): void {
  const j = structuredClone(base);
  change(j);
  assert.throws(() => parseBundle(j), (e: unknown) => {
    assert.ok(e instanceof BundleError, String(e));
    assert.equal(e.code, 'BUNDLE_INVALID');
    assert.match(e.message, why);
    return true;
  });
}

const asChain = (j: Json, mediaType: string) => {
  j.mediaType = mediaType;
  j.verificationMaterial.x509CertificateChain = { certificates: [j.verificationMaterial.certificate] };
  delete j.verificationMaterial.certificate;
};

describe('parseBundle refuses', () => {
  it('(the untampered bundles parse, in v0.1, v0.2 and v0.3 shapes)', () => {
    parseBundle(message);
    parseBundle(dsse);
    const v2 = structuredClone(message);
    asChain(v2, V02);
    parseBundle(v2);
  });

  const cases: [string, Json, (j: Json) => void, RegExp][] = [
    ['a certificate and a public key', message, (j) => { j.verificationMaterial.publicKey = { hint: 'x' }; }, /more than one of certificate, publicKey/],
    ['no key material', message, (j) => { delete j.verificationMaterial.certificate; }, /has no certificate, x509CertificateChain or publicKey/],
    ['a v0.2 bundle with a single certificate', message, (j) => { j.mediaType = V02; }, /requires bundle v0\.3/],
    ['a v0.3 bundle with a chain', message, (j) => asChain(j, 'application/vnd.dev.sigstore.bundle.v0.3+json'), /must use verificationMaterial\.certificate/],
    ['an empty chain', message, (j) => { asChain(j, V02); j.verificationMaterial.x509CertificateChain.certificates = []; }, /x509CertificateChain is empty/],
    ['a v0.1 entry without an inclusion promise', message, (j) => { asChain(j, V01); delete j.verificationMaterial.tlogEntries[0].inclusionPromise; }, /no inclusionPromise \(required by bundle v0\.1\)/],
    ['a v0.2 entry without an inclusion proof', message, (j) => { asChain(j, V02); delete j.verificationMaterial.tlogEntries[0].inclusionProof; }, /no inclusionProof \(required by bundle v0\.2\)/],
    ['a v0.3 inclusion proof without a checkpoint', message, (j) => { delete j.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint; }, /has no checkpoint \(required by bundle v0\.3\)/],
    ['a message digest in SHA-1', message, (j) => { j.messageSignature.messageDigest.algorithm = 'SHA1'; }, /unsupported messageSignature\.messageDigest\.algorithm "SHA1"/],
    ['a DSSE envelope with two signatures', dsse, (j) => { j.dsseEnvelope.signatures.push(j.dsseEnvelope.signatures[0]); }, /exactly one signature \(has 2\)/],
    ['a DSSE envelope without signatures', dsse, (j) => { j.dsseEnvelope.signatures = []; }, /exactly one signature \(has 0\)/],
    ['both a message signature and a DSSE envelope', message, (j) => { j.dsseEnvelope = dsse.dsseEnvelope; }, /both messageSignature and dsseEnvelope/],
    ['neither a message signature nor a DSSE envelope', message, (j) => { delete j.messageSignature; }, /neither messageSignature nor dsseEnvelope/],
    ['the same entry twice', message, (j) => { j.verificationMaterial.tlogEntries.push(j.verificationMaterial.tlogEntries[0]); }, /log index 3 of the same log twice/],
    ['an unknown media type', message, (j) => { j.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.4'; }, /unsupported mediaType/],
    ['a certificate that is not X.509', message, (j) => { j.verificationMaterial.certificate.rawBytes = 'MAMCAQE='; }, /not a valid X\.509 certificate/],
  ];
  for (const [what, base, change, why] of cases) {
    it(what, () => refused(base, change, why));
  }
});
