/**
 * Crafted inputs for the `chain` step (and the certificate validity at the trusted time): leaf
 * certificates issued by a forged Fulcio CA, each with an SCT from the forged CT log and a
 * correctly logged entry, so that only the certificate profile or path is wrong.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { basicConstraintsExt, ext, extKeyUsageExt, ForgedPki, keyUsageExt, OIDS } from '../helpers/forge.js';
import { VerificationError } from '../../src/errors.js';
import { refusedAt, verifyForged } from '../helpers/verify.js';

const pki = new ForgedPki();
const trust = pki.trust();
const minutes = (n: number): Date => new Date(pki.now.getTime() + n * 60_000);

describe('chain: the leaf profile', () => {
  it('LEAF_IS_CA: a leaf with basicConstraints CA:TRUE', async () => {
    const b = pki.bundle({ leaf: { extensions: (d) => [...d, basicConstraintsExt(true)] } });
    await refusedAt(verifyForged(trust, b), 'chain', 'LEAF_IS_CA');
  });

  it('a leaf with basicConstraints CA:FALSE verifies', async () => {
    await verifyForged(trust, pki.bundle({ leaf: { extensions: (d) => [...d, basicConstraintsExt(false)] } }));
  });

  it('LEAF_KEY_USAGE: a leaf whose key usage is keyCertSign only', async () => {
    const b = pki.bundle({ leaf: { extensions: (d) => [keyUsageExt([5]), ...d.slice(1)] } });
    await refusedAt(verifyForged(trust, b), 'chain', 'LEAF_KEY_USAGE');
  });

  it('LEAF_KEY_USAGE: a leaf without a key usage extension', async () => {
    const b = pki.bundle({ leaf: { extensions: (d) => d.slice(1) } });
    await refusedAt(verifyForged(trust, b), 'chain', 'LEAF_KEY_USAGE');
  });

  it('LEAF_EXT_KEY_USAGE: a leaf for time stamping, not code signing', async () => {
    const b = pki.bundle({ leaf: { extensions: (d) => [d[0]!, extKeyUsageExt([OIDS.timeStamping], false), ...d.slice(2)] } });
    await refusedAt(verifyForged(trust, b), 'chain', 'LEAF_EXT_KEY_USAGE');
  });

  it('CERT_UNKNOWN_CRITICAL_EXTENSION: a leaf with an unknown critical extension', async () => {
    const b = pki.bundle({ leaf: { extensions: (d) => [...d, ext('1.3.6.1.4.1.99999.1', true, Buffer.from([5, 0]))] } });
    await refusedAt(verifyForged(trust, b), 'chain', 'CERT_UNKNOWN_CRITICAL_EXTENSION', /signing certificate/);
  });

  it('the same extension, not critical, verifies', async () => {
    await verifyForged(trust, pki.bundle({ leaf: { extensions: (d) => [...d, ext('1.3.6.1.4.1.99999.1', false, Buffer.from([5, 0]))] } }));
  });
});

describe('chain: malformed extension values in a CA-signed leaf', () => {
  // Found by the tamper campaign's re-signed certificate variants (scripts/campaign-tamper.mts):
  // the leaf parses, and its KeyUsage or ExtKeyUsage value is read only in the chain step, where
  // a bare DerError escaped instead of a VerificationError. The verifier now turns every internal
  // error of a step into a VerificationError of that step.
  it('a KeyUsage value that is not a BIT STRING is refused with a VerificationError', async () => {
    const b = pki.bundle({ leaf: { extensions: (d) => [ext(OIDS.keyUsage, true, Buffer.from([0x23, 0x02, 0x07, 0x80])), ...d.slice(1)] } });
    const e = await verifyForged(trust, b).catch((x: unknown) => x);
    assert.ok(e instanceof VerificationError, `a VerificationError, got ${String(e)}`);
  });
  it('an ExtKeyUsage value that is not a SEQUENCE of OIDs is refused with a VerificationError', async () => {
    const b = pki.bundle({ leaf: { extensions: (d) => [d[0]!, ext(OIDS.extKeyUsage, false, Buffer.from([0x30, 0x03, 0x16, 0x01, 0x41])), ...d.slice(2)] } });
    const e = await verifyForged(trust, b).catch((x: unknown) => x);
    assert.ok(e instanceof VerificationError, `a VerificationError, got ${String(e)}`);
  });
});

describe('chain: validity at the trusted time', () => {
  it('CERT_NOT_VALID_AT_TIME: the log integrated the entry before the leaf was valid', async () => {
    const b = pki.bundle({ leaf: { notBefore: minutes(-1), notAfter: minutes(9) }, integratedTime: minutes(-2) });
    await refusedAt(verifyForged(trust, b), 'chain', 'CERT_NOT_VALID_AT_TIME');
  });

  it('CERT_NOT_VALID_AT_TIME: the log integrated the entry after the leaf expired', async () => {
    const b = pki.bundle({ leaf: { notBefore: minutes(-20), notAfter: minutes(-10) }, integratedTime: minutes(-5) });
    await refusedAt(verifyForged(trust, b), 'chain', 'CERT_NOT_VALID_AT_TIME');
  });

  it("CERT_NOT_VALID_AT_TIME: the TSA's time is after the leaf expired (the log's time is fine)", async () => {
    const b = pki.bundle({ leaf: { notBefore: minutes(-20), notAfter: minutes(-10) }, integratedTime: minutes(-15), tsa: true, tsaTime: minutes(-5) });
    await refusedAt(verifyForged(trust, b), 'chain', 'CERT_NOT_VALID_AT_TIME');
  });

  it('a leaf valid at the integrated time verifies, to the second at both ends', async () => {
    await verifyForged(trust, pki.bundle({ leaf: { notBefore: minutes(-2), notAfter: minutes(8) }, integratedTime: minutes(-2) }));
    await verifyForged(trust, pki.bundle({ leaf: { notBefore: minutes(-12), notAfter: minutes(-2) }, integratedTime: minutes(-2) }));
  });

  it("CHAIN_NOT_VALID_AT_TIME: the CA's window in the trusted root ended before the integrated time", async () => {
    const t = pki.trust((r) => {
      r.certificateAuthorities[0].validFor = { start: pki.start.toISOString(), end: minutes(-3).toISOString() };
    });
    await refusedAt(verifyForged(t, pki.bundle({ integratedTime: minutes(-2) })), 'chain', 'CHAIN_NOT_VALID_AT_TIME');
  });

  it("CHAIN_NOT_VALID_AT_TIME: the CA's window starts after the integrated time", async () => {
    const t = pki.trust((r) => {
      r.certificateAuthorities[0].validFor = { start: minutes(-1).toISOString() };
    });
    await refusedAt(verifyForged(t, pki.bundle({ integratedTime: minutes(-2) })), 'chain', 'CHAIN_NOT_VALID_AT_TIME');
  });
});

describe('chain: the path', () => {
  it('CHAIN_UNTRUSTED: a leaf signed by another key under the intermediate name', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const b = pki.bundle({ leaf: { issuerKey: other } });
    await refusedAt(verifyForged(trust, b), 'chain', 'CHAIN_UNTRUSTED');
  });

  it('CHAIN_UNTRUSTED: a trusted root without the CA', async () => {
    const t = pki.trust((r) => {
      r.certificateAuthorities = [];
    });
    await refusedAt(verifyForged(t, pki.bundle()), 'chain', 'CHAIN_UNTRUSTED');
  });

  it('CHAIN_HAS_ROOT: a v0.2 bundle that ships its root certificate', async () => {
    const b = pki.bundle({
      json: (j) => {
        j.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.2';
        const vm = j.verificationMaterial;
        vm.x509CertificateChain = { certificates: [vm.certificate, { rawBytes: pki.inter.toString('base64') }, { rawBytes: pki.root.toString('base64') }] };
        delete vm.certificate;
      },
    });
    await refusedAt(verifyForged(trust, b), 'chain', 'CHAIN_HAS_ROOT');
  });

  it('a v0.2 bundle that ships its intermediate verifies', async () => {
    const b = pki.bundle({
      json: (j) => {
        j.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.2';
        const vm = j.verificationMaterial;
        vm.x509CertificateChain = { certificates: [vm.certificate, { rawBytes: pki.inter.toString('base64') }] };
        delete vm.certificate;
      },
    });
    await verifyForged(trust, b);
  });
});
