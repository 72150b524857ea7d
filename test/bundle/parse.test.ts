/**
 * Bundle parsing: every version and content kind, protobuf JSON defaults, and malformed input
 * refused with a one-line reason naming the field.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BundleError, parseBundle } from '../../src/index.js';
import { CONFORMANCE_DIR } from '../helpers/conformance.js';

// biome-ignore lint/suspicious/noExplicitAny: tests reach into bundle JSON freely
type Json = Record<string, any>;

const load = (name: string) => JSON.parse(readFileSync(join(CONFORMANCE_DIR, name, 'bundle.sigstore.json'), 'utf8')) as Json;

describe('parseBundle', () => {
  it('reads v0.1, v0.2, v0.3 (both media types), message signatures and DSSE', () => {
    assert.equal(parseBundle(load('happy-path-v0.1')).version, '0.1');
    assert.equal(parseBundle(load('happy-path-v0.2')).version, '0.2');
    assert.equal(parseBundle(load('happy-path-v0.3')).version, '0.3');
    assert.equal(parseBundle(load('happy-path-v0.3-new-mediaType')).version, '0.3');
    assert.equal(parseBundle(load('happy-path-intoto-in-dsse-v3')).content.kind, 'dsseEnvelope');
    assert.equal(parseBundle(load('managed-key-happy-path')).material.kind, 'publicKey');
  });

  it('treats absent int64 fields as 0, as protobuf JSON omits them', () => {
    const b = load('rekor2-happy-path');
    const e = b.verificationMaterial.tlogEntries[0];
    delete e.logIndex;
    delete e.inclusionProof.logIndex;
    const parsed = parseBundle(b);
    assert.equal(parsed.tlogEntries[0]!.logIndex, 0n);
    assert.equal(parsed.tlogEntries[0]!.inclusionProof!.logIndex, 0n);
  });

  it('parses a certificate once for bundles that share it, and refuses a bad one every time', () => {
    const a = parseBundle(load('happy-path-v0.3'));
    const b = parseBundle(load('happy-path-v0.3'));
    assert.equal(a.material.kind, 'certificate');
    assert.equal(b.material.kind === 'certificate' && b.material.certificate, a.material.kind === 'certificate' && a.material.certificate);
    const spoiled = (() => {
      const j = load('happy-path-v0.3');
      const der = Buffer.from(j.verificationMaterial.certificate.rawBytes, 'base64');
      der[der.length - 40]! ^= 1; // inside the signature: still DER, but another certificate
      j.verificationMaterial.certificate.rawBytes = der.toString('base64');
      return j;
    })();
    const c = parseBundle(spoiled);
    assert.notEqual(c.material.kind === 'certificate' && c.material.certificate, a.material.kind === 'certificate' && a.material.certificate);
    for (let i = 0; i < 2; i++) {
      const j = load('happy-path-v0.3');
      j.verificationMaterial.certificate.rawBytes = 'MAA=';
      assert.throws(() => parseBundle(j), /not a valid X\.509 certificate/);
    }
  });

  const bad: [string, (b: Json) => unknown, RegExp][] = [
    ['bad JSON', () => '{"mediaType":', /not valid JSON/],
    ['unknown media type', (b) => ({ ...b, mediaType: 'application/vnd.dev.sigstore.bundle+json;version=9' }), /unsupported mediaType/],
    ['wrong base64', (b) => { b.messageSignature.signature = 'not base64!'; return b; }, /messageSignature\.signature is not valid base64/],
    ['negative log index', (b) => { b.verificationMaterial.tlogEntries[0].logIndex = '-1'; return b; }, /logIndex must not be negative/],
    ['missing verification material', (b) => { b.verificationMaterial = undefined; return b; }, /verificationMaterial must be an object/],
    ['missing signature', (b) => { b.messageSignature.signature = undefined; return b; }, /messageSignature\.signature is missing/],
    ['both contents', (b) => { b.dsseEnvelope = { payload: '', payloadType: 'x', signatures: [] }; return b; }, /both messageSignature and dsseEnvelope/],
    ['v0.3 with a chain', (b) => { b.verificationMaterial.x509CertificateChain = { certificates: [b.verificationMaterial.certificate] }; b.verificationMaterial.certificate = undefined; return b; }, /must use verificationMaterial\.certificate/],
    ['a certificate that is not DER', (b) => { b.verificationMaterial.certificate.rawBytes = 'AAAA'; return b; }, /not a valid X\.509 certificate/],
    ['no inclusion proof in v0.3', (b) => { delete b.verificationMaterial.tlogEntries[0].inclusionProof; return b; }, /no inclusionProof/],
    ['duplicate entries', (b) => { b.verificationMaterial.tlogEntries.push(b.verificationMaterial.tlogEntries[0]); return b; }, /twice/],
  ];
  for (const [name, mutate, message] of bad) {
    it(`refuses ${name} with a one-line reason`, () => {
      const input = mutate(load('happy-path-v0.3'));
      assert.throws(() => parseBundle(typeof input === 'string' ? input : JSON.stringify(input)), (e: unknown) => {
        assert.ok(e instanceof BundleError);
        assert.match(e.message, message);
        assert.ok(!e.message.includes('\n'));
        return true;
      });
    });
  }
});
