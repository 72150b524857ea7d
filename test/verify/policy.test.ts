/**
 * Identity policies and the signer read from a leaf: user regular expressions compiled on their
 * own before anchoring; the policy matches the one identity the result reports (never any SAN);
 * Fulcio's username otherName only with its OID and a UTF8String; the OIDC issuer extensions
 * (1.8 a DER UTF8String; 1.1 and 1.8 must agree). Leaves are forged here (test/helpers/forge.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyError, UsageError } from '../../src/errors.js';
import { encode, Tag } from '../../src/lib/der.js';
import type { Certificate } from '../../src/lib/x509.js';
import { certificateSigner, fulcioExtensions, identitySANs } from '../../src/verify/extensions.js';
import { AnyOf, ExtensionPolicy, Identity } from '../../src/verify/policy.js';
import { ext, forgeCA, forgeLeaf, generalName, oidDer, otherName, sanExtension, utf8String } from '../helpers/forge-pki.js';
import { rejectsAt } from '../helpers/tamper.js';

const FULCIO_USERNAME = '1.3.6.1.4.1.57264.1.7';
const ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const ISSUER = 'https://accounts.example.com';

const ca = forgeCA('policy test CA');

function leaf(names: Buffer[], extra: ReturnType<typeof ext>[] = [ext(ISSUER_V2, false, utf8String(ISSUER))]): Certificate {
  return forgeLeaf(ca, [sanExtension(names), ...extra]).cert;
}

function policyRefuses(p: { check: (s: never) => void }, cert: Certificate, code: string): void {
  let err: unknown;
  try {
    p.check(certificateSigner(cert) as never);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof PolicyError, `expected a PolicyError, got ${String(err)}`);
  assert.equal(err.code, code);
}

function usage(f: () => unknown, code: string): void {
  assert.throws(f, (e: unknown) => e instanceof UsageError && e.code === code);
}

describe('user regular expressions', () => {
  it('an invalid pattern is refused before it is anchored: `nope)|(.*` does not become "match anything"', () => {
    usage(() => new Identity({ identityRegexp: 'nope)|(.*', issuer: ISSUER }), 'POLICY_REGEXP_INVALID');
    usage(() => new Identity({ identity: 'a@example.com', issuerRegexp: '.*)|(' }), 'POLICY_REGEXP_INVALID');
    usage(() => new ExtensionPolicy('sourceRepositoryRef', { regexp: 'refs/tags/v1)|(.*' }), 'POLICY_REGEXP_INVALID');
    usage(() => new Identity({ identityRegexp: '(', issuer: ISSUER }), 'POLICY_REGEXP_INVALID');
  });

  it('a valid pattern is fully anchored', () => {
    const cert = leaf([generalName(1, 'alice@example.com')]);
    new Identity({ identityRegexp: '.*@example\\.com', issuer: ISSUER }).check(certificateSigner(cert));
    policyRefuses(new Identity({ identityRegexp: 'alice', issuer: ISSUER }), cert, 'POLICY_IDENTITY_MISMATCH');
    policyRefuses(new Identity({ identityRegexp: 'x|alice@example\\.co', issuer: ISSUER }), cert, 'POLICY_IDENTITY_MISMATCH');
  });
});

describe('the identity a policy matches', () => {
  it('is the reported one, not any SAN', () => {
    const cert = leaf([generalName(1, 'attacker@evil.example'), generalName(6, 'https://example.com/victim')]);
    const signer = certificateSigner(cert);
    assert.equal(signer.identity, 'attacker@evil.example');
    new Identity({ identity: 'attacker@evil.example', issuer: ISSUER }).check(signer);
    policyRefuses(new Identity({ identity: 'https://example.com/victim', issuer: ISSUER }), cert, 'POLICY_IDENTITY_MISMATCH');
    policyRefuses(new AnyOf([new Identity({ identity: 'https://example.com/victim', issuer: ISSUER })]), cert, 'POLICY_NONE_MATCHED');
  });

  it('DNS and IP SANs carry no identity', () => {
    const cert = leaf([generalName(2, 'victim.example.com'), generalName(7, Buffer.from([10, 0, 0, 1]))]);
    assert.equal(certificateSigner(cert).identity, '');
    policyRefuses(new Identity({ identity: 'victim.example.com', issuer: ISSUER }), cert, 'POLICY_IDENTITY_MISMATCH');
    policyRefuses(new Identity({ identityRegexp: '.*', issuer: ISSUER }), cert, 'POLICY_IDENTITY_MISMATCH');
  });

  it("an otherName counts only with Fulcio's username OID and a UTF8String", () => {
    const good = leaf([otherName(FULCIO_USERNAME, utf8String('alice'))]);
    assert.equal(certificateSigner(good).identity, 'alice');
    new Identity({ identity: 'alice', issuer: ISSUER }).check(certificateSigner(good));

    const otherOid = leaf([otherName('1.3.6.1.4.1.311.20.2.3', utf8String('alice'))]);
    assert.equal(certificateSigner(otherOid).identity, '');
    policyRefuses(new Identity({ identity: 'alice', issuer: ISSUER }), otherOid, 'POLICY_IDENTITY_MISMATCH');

    for (const inner of [encode(Tag.IA5_STRING, Buffer.from('alice')), encode(Tag.PRINTABLE_STRING, Buffer.from('alice')), encode(Tag.OCTET_STRING, Buffer.from('alice'))]) {
      const wrongType = leaf([otherName(FULCIO_USERNAME, inner)]);
      rejectsAt('chain', () => certificateSigner(wrongType), 'CERT_SAN_MALFORMED');
    }
    rejectsAt('chain', () => certificateSigner(leaf([otherName(FULCIO_USERNAME, utf8String(Buffer.from([0xc3, 0x28])))])), 'CERT_SAN_MALFORMED');
  });

  it('an otherName that is not (type, [0] EXPLICIT value) is refused; a certificate without SANs has no identity', () => {
    const FULCIO = oidDer(FULCIO_USERNAME);
    const three = encode(0xa0, [FULCIO, encode(0xa0, utf8String('alice')), utf8String('extra')]);
    rejectsAt('chain', () => identitySANs(leaf([three])), 'CERT_SAN_MALFORMED', /otherName SAN is malformed/);
    const notExplicit = encode(0xa0, [FULCIO, encode(0xa1, utf8String('alice'))]);
    rejectsAt('chain', () => identitySANs(leaf([notExplicit])), 'CERT_SAN_MALFORMED', /not \[0\] EXPLICIT/);
    assert.deepEqual(identitySANs(forgeLeaf(ca, [ext(ISSUER_V2, false, utf8String(ISSUER))]).cert), []);
  });

  it('email and URI SANs must be printable ASCII', () => {
    rejectsAt('chain', () => identitySANs(leaf([generalName(1, Buffer.from('al\u00e9@example.com', 'utf8'))])), 'CERT_SAN_MALFORMED');
    rejectsAt('chain', () => identitySANs(leaf([generalName(6, Buffer.from('https://x/\n'))])), 'CERT_SAN_MALFORMED');
    rejectsAt('chain', () => identitySANs(leaf([generalName(1, '')])), 'CERT_SAN_MALFORMED');
  });

  it('a malformed SAN extension is refused', () => {
    const cert = forgeLeaf(ca, [ext('2.5.29.17', true, Buffer.from([0x30, 0x03, 0x81, 0x05, 0x61]))]).cert;
    rejectsAt('chain', () => certificateSigner(cert), 'CERT_SAN_MALFORMED');
  });
});

describe('the OIDC issuer extensions', () => {
  const san = [generalName(1, 'alice@example.com')];

  it('1.8 is a DER UTF8String', () => {
    assert.equal(fulcioExtensions(leaf(san, [ext(ISSUER_V2, false, utf8String(ISSUER))])).issuer, ISSUER);
    for (const bad of [encode(Tag.IA5_STRING, Buffer.from(ISSUER)), encode(Tag.PRINTABLE_STRING, Buffer.from('x')), Buffer.from(ISSUER), utf8String(Buffer.from([0xff]))]) {
      rejectsAt('chain', () => fulcioExtensions(leaf(san, [ext(ISSUER_V2, false, bad)])), 'CERT_EXTENSION_MALFORMED');
    }
  });

  it('every extension from 1.8 on is a UTF8String; 1.1-1.6 are raw UTF-8', () => {
    rejectsAt('chain', () => fulcioExtensions(leaf(san, [ext('1.3.6.1.4.1.57264.1.12', false, Buffer.from('https://github.com/x/y'))])), 'CERT_EXTENSION_MALFORMED');
    assert.equal(fulcioExtensions(leaf(san, [ext('1.3.6.1.4.1.57264.1.5', false, Buffer.from('x/y'))])).githubWorkflowRepository, 'x/y');
    rejectsAt('chain', () => fulcioExtensions(leaf(san, [ext('1.3.6.1.4.1.57264.1.5', false, Buffer.from([0xc0, 0x80]))])), 'CERT_EXTENSION_MALFORMED');
  });

  it('1.1 alone is the issuer (legacy certificates); 1.1 and 1.8 agreeing is fine', () => {
    assert.equal(fulcioExtensions(leaf(san, [ext(ISSUER_V1, false, Buffer.from(ISSUER))])).issuer, ISSUER);
    assert.equal(fulcioExtensions(leaf(san, [ext(ISSUER_V1, false, Buffer.from(ISSUER)), ext(ISSUER_V2, false, utf8String(ISSUER))])).issuer, ISSUER);
  });

  it('1.1 and 1.8 both present and different: refused', () => {
    const cert = leaf(san, [ext(ISSUER_V1, false, Buffer.from('https://evil.example')), ext(ISSUER_V2, false, utf8String(ISSUER))]);
    rejectsAt('chain', () => certificateSigner(cert), 'CERT_ISSUER_CONFLICT');
  });

  it('the issuer policy matches the issuer read this way', () => {
    const cert = leaf(san, [ext(ISSUER_V1, false, Buffer.from('https://legacy.example'))]);
    new Identity({ identity: 'alice@example.com', issuer: 'https://legacy.example' }).check(certificateSigner(cert));
    policyRefuses(new Identity({ identity: 'alice@example.com', issuer: ISSUER }), cert, 'POLICY_ISSUER_MISMATCH');
    policyRefuses(new ExtensionPolicy('issuer', { value: ISSUER }), cert, 'POLICY_EXTENSION_MISMATCH');
  });
});
