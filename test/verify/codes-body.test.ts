/**
 * Crafted inputs for the `body` step: log entries, correctly logged and signed by a forged Rekor
 * (SET, inclusion proof, checkpoint), whose canonicalized body does not describe the bundle.
 * Every supported entry type (hashedrekord 0.0.1/0.0.2, dsse 0.0.1/0.0.2, intoto 0.0.2) first
 * verifies untampered, then fails on each field it binds.
 */
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseBundle } from '../../src/bundle/parse.js';
import { verifyTlogBody } from '../../src/verify/body.js';
import { type BundleSpec, ForgedPki, type Json, pem, type SignedParts } from '../helpers/forge.js';
import { rejectsAt } from '../helpers/tamper.js';
import { refusedAt, verifyForged } from '../helpers/verify.js';

const pki = new ForgedPki();
const trust = pki.trust();
const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64');
const pae = (t: string, p: Buffer): Buffer => Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(t)} ${t} ${p.length} `), p]);
const otherLeaf = (): Buffer => pki.leaf(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
const flipB64 = (s: string): string => {
  const b = Buffer.from(s, 'base64');
  b[b.length - 1]! ^= 1;
  return b.toString('base64');
};
const flipHex = (s: string): string => (s[0] === '0' ? '1' : '0') + s.slice(1);

/** Body builders for the v0.0.2 and intoto types (the forge writes hashedrekord and dsse 0.0.1). */
const BODIES: Record<string, (s: SignedParts) => Json> = {
  'hashedrekord 0.0.2': (s) => ({
    apiVersion: '0.0.2',
    kind: 'hashedrekord',
    spec: {
      hashedRekordV002: {
        data: { algorithm: 'SHA2_256', digest: b64(sha256(s.artifact)) },
        signature: { content: b64(s.signature), verifier: { x509Certificate: { rawBytes: b64(s.leaf) }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } },
      },
    },
  }),
  'dsse 0.0.2': (s) => ({
    apiVersion: '0.0.2',
    kind: 'dsse',
    spec: {
      dsseV002: {
        payloadHash: { algorithm: 'SHA2_256', digest: b64(sha256(s.payload!)) },
        signatures: [{ content: b64(s.signature), verifier: { x509Certificate: { rawBytes: b64(s.leaf) }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } }],
      },
    },
  }),
  'hashedrekord 0.0.2 over DSSE': (s) => ({
    apiVersion: '0.0.2',
    kind: 'hashedrekord',
    spec: {
      hashedRekordV002: {
        data: { algorithm: 'SHA2_256', digest: b64(sha256(pae(s.payloadType!, s.payload!))) },
        signature: { content: b64(s.signature), verifier: { x509Certificate: { rawBytes: b64(s.leaf) }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } },
      },
    },
  }),
  'intoto 0.0.2': (s) => ({
    apiVersion: '0.0.2',
    kind: 'intoto',
    spec: {
      content: {
        envelope: { payloadType: s.payloadType, signatures: [{ sig: b64(b64(s.signature)), publicKey: b64(pem(s.leaf)) }] },
        payloadHash: { algorithm: 'sha256', value: sha256(s.payload!).toString('hex') },
      },
    },
  }),
};

function bundle(type: string, change?: (b: Json, s: SignedParts) => void, extra: Partial<BundleSpec> = {}) {
  const kind = type === 'hashedrekord 0.0.1' || type === 'hashedrekord 0.0.2' ? 'message' : 'dsse';
  return pki.bundle({
    kind,
    ...extra,
    body: (b, s) => {
      const body = BODIES[type]?.(s) ?? b;
      change?.(body, s);
      return body;
    },
  });
}

const TYPES = ['hashedrekord 0.0.1', 'hashedrekord 0.0.2', 'dsse 0.0.1', 'dsse 0.0.2', 'hashedrekord 0.0.2 over DSSE', 'intoto 0.0.2'];

describe('body: every entry type verifies untampered', () => {
  for (const t of TYPES) {
    it(t, async () => {
      await verifyForged(trust, bundle(t));
    });
  }
});

describe('body: the entry must describe the bundle', () => {
  const cases: [string, string, (b: Json, s: SignedParts) => void][] = [
    // hashedrekord 0.0.1
    ['hashedrekord 0.0.1', 'BODY_SIGNATURE_MISMATCH', (b) => { b.spec.signature.content = flipB64(b.spec.signature.content); }],
    ['hashedrekord 0.0.1', 'BODY_KEY_MISMATCH', (b) => { b.spec.signature.publicKey.content = b64(pem(otherLeaf())); }],
    ['hashedrekord 0.0.1', 'BODY_KEY_MISMATCH', (b) => { b.spec.signature.publicKey.content = b64('not a PEM block'); }],
    ['hashedrekord 0.0.1', 'BODY_DIGEST_MISMATCH', (b) => { b.spec.data.hash.value = flipHex(b.spec.data.hash.value); }],
    ['hashedrekord 0.0.1', 'BODY_DIGEST_MISMATCH', (b) => { b.spec.data.hash.algorithm = 'sha512'; }],
    ['hashedrekord 0.0.1', 'BODY_MALFORMED', (b) => { delete b.spec.data.hash.value; }],
    ['hashedrekord 0.0.1', 'BODY_MALFORMED', (b) => { b.spec.signature.content = 42; }],
    // hashedrekord 0.0.2
    ['hashedrekord 0.0.2', 'BODY_SIGNATURE_MISMATCH', (b) => { b.spec.hashedRekordV002.signature.content = flipB64(b.spec.hashedRekordV002.signature.content); }],
    ['hashedrekord 0.0.2', 'BODY_KEY_MISMATCH', (b) => { b.spec.hashedRekordV002.signature.verifier.x509Certificate.rawBytes = b64(otherLeaf()); }],
    ['hashedrekord 0.0.2', 'BODY_KEY_MISMATCH', (b) => { b.spec.hashedRekordV002.signature.verifier = {}; }],
    ['hashedrekord 0.0.2', 'BODY_DIGEST_MISMATCH', (b) => { b.spec.hashedRekordV002.data.digest = flipB64(b.spec.hashedRekordV002.data.digest); }],
    ['hashedrekord 0.0.2', 'BODY_DIGEST_MISMATCH', (b) => { b.spec.hashedRekordV002.data.algorithm = 'SHA2_384'; }],
    ['hashedrekord 0.0.2', 'BODY_DIGEST_MISMATCH', (b) => { b.spec.hashedRekordV002.data.algorithm = 'MD5'; }],
    // dsse 0.0.1
    ['dsse 0.0.1', 'BODY_PAYLOAD_MISMATCH', (b) => { b.spec.payloadHash.value = flipHex(b.spec.payloadHash.value); }],
    ['dsse 0.0.1', 'BODY_PAYLOAD_MISMATCH', (b) => { b.spec.payloadHash.algorithm = 'sha512'; }],
    ['dsse 0.0.1', 'BODY_SIGNATURE_MISMATCH', (b) => { b.spec.signatures.push(b.spec.signatures[0]); }],
    ['dsse 0.0.1', 'BODY_SIGNATURE_MISMATCH', (b) => { b.spec.signatures = {}; }],
    ['dsse 0.0.1', 'BODY_SIGNATURE_MISMATCH', (b) => { b.spec.signatures[0].signature = flipB64(b.spec.signatures[0].signature); }],
    ['dsse 0.0.1', 'BODY_KEY_MISMATCH', (b) => { b.spec.signatures[0].verifier = b64(pem(otherLeaf())); }],
    // dsse 0.0.2
    ['dsse 0.0.2', 'BODY_PAYLOAD_MISMATCH', (b) => { b.spec.dsseV002.payloadHash.digest = flipB64(b.spec.dsseV002.payloadHash.digest); }],
    ['dsse 0.0.2', 'BODY_PAYLOAD_MISMATCH', (b) => { b.spec.dsseV002.payloadHash.algorithm = 'SHA2_384'; }],
    ['dsse 0.0.2', 'BODY_PAYLOAD_MISMATCH', (b) => { b.spec.dsseV002.payloadHash.algorithm = 'MD5'; }],
    ['dsse 0.0.2', 'BODY_SIGNATURE_MISMATCH', (b) => { b.spec.dsseV002.signatures = []; }],
    ['dsse 0.0.2', 'BODY_SIGNATURE_MISMATCH', (b) => { b.spec.dsseV002.signatures[0].content = flipB64(b.spec.dsseV002.signatures[0].content); }],
    ['dsse 0.0.2', 'BODY_KEY_MISMATCH', (b) => { b.spec.dsseV002.signatures[0].verifier.x509Certificate.rawBytes = b64(otherLeaf()); }],
    // hashedrekord 0.0.2 over DSSE
    ['hashedrekord 0.0.2 over DSSE', 'BODY_PAYLOAD_MISMATCH', (b) => { b.spec.hashedRekordV002.data.digest = flipB64(b.spec.hashedRekordV002.data.digest); }],
    ['hashedrekord 0.0.2 over DSSE', 'BODY_PAYLOAD_MISMATCH', (b) => { b.spec.hashedRekordV002.data.algorithm = 'MD5'; }],
    ['hashedrekord 0.0.2 over DSSE', 'BODY_SIGNATURE_MISMATCH', (b) => { b.spec.hashedRekordV002.signature.content = flipB64(b.spec.hashedRekordV002.signature.content); }],
    ['hashedrekord 0.0.2 over DSSE', 'BODY_KEY_MISMATCH', (b) => { b.spec.hashedRekordV002.signature.verifier.x509Certificate.rawBytes = b64(otherLeaf()); }],
    // intoto 0.0.2
    ['intoto 0.0.2', 'BODY_PAYLOAD_MISMATCH', (b) => { b.spec.content.payloadHash.value = flipHex(b.spec.content.payloadHash.value); }],
    ['intoto 0.0.2', 'BODY_PAYLOAD_MISMATCH', (b) => { b.spec.content.payloadHash.algorithm = 'sha384'; }],
    ['intoto 0.0.2', 'BODY_SIGNATURE_MISMATCH', (b) => { b.spec.content.envelope.signatures.push(b.spec.content.envelope.signatures[0]); }],
    ['intoto 0.0.2', 'BODY_SIGNATURE_MISMATCH', (b) => { b.spec.content.envelope.signatures = 'x'; }],
    ['intoto 0.0.2', 'BODY_SIGNATURE_MISMATCH', (b, s) => { b.spec.content.envelope.signatures[0].sig = b64(flipB64(b64(s.signature))); }],
    ['intoto 0.0.2', 'BODY_KEY_MISMATCH', (b) => { b.spec.content.envelope.signatures[0].publicKey = b64(pem(otherLeaf())); }],
  ];
  for (const [type, code, change] of cases) {
    it(`${type}: ${code} (${change.toString().replace(/\s+/g, ' ').slice(8, 110)})`, async () => {
      await refusedAt(verifyForged(trust, bundle(type, change)), 'body', code);
    });
  }

  it('BODY_MALFORMED: the body is not JSON', async () => {
    await refusedAt(verifyForged(trust, pki.bundle({ bodyBytes: Buffer.from('not json') })), 'body', 'BODY_MALFORMED', /not a JSON object/);
  });

  it('BODY_MALFORMED: the body is a JSON array', async () => {
    await refusedAt(verifyForged(trust, pki.bundle({ bodyBytes: Buffer.from('[]') })), 'body', 'BODY_MALFORMED', /not a JSON object/);
  });

  it("BODY_KIND_MISMATCH: the body's kind is not the entry's kindVersion", async () => {
    const b = pki.bundle({ json: (j) => { j.verificationMaterial.tlogEntries[0].kindVersion.kind = 'intoto'; } });
    await refusedAt(verifyForged(trust, b), 'body', 'BODY_KIND_MISMATCH');
  });

  it("BODY_KIND_MISMATCH: the body's apiVersion is not the entry's", async () => {
    const b = pki.bundle({ json: (j) => { j.verificationMaterial.tlogEntries[0].kindVersion.version = '0.0.2'; } });
    await refusedAt(verifyForged(trust, b), 'body', 'BODY_KIND_MISMATCH');
  });

  it('BODY_KIND_MISMATCH: a message signature recorded as a dsse entry', async () => {
    await refusedAt(verifyForged(trust, pki.bundle({ entryKind: { kind: 'dsse', version: '0.0.1' } })), 'body', 'BODY_KIND_MISMATCH', /cannot be recorded as dsse/);
  });

  it('BODY_UNSUPPORTED: a message signature in hashedrekord 0.0.3', async () => {
    await refusedAt(verifyForged(trust, pki.bundle({ entryKind: { kind: 'hashedrekord', version: '0.0.3' } })), 'body', 'BODY_UNSUPPORTED');
  });

  it('BODY_UNSUPPORTED: a DSSE envelope in an intoto 0.0.1 entry', async () => {
    await refusedAt(verifyForged(trust, pki.bundle({ kind: 'dsse', entryKind: { kind: 'intoto', version: '0.0.1' } })), 'body', 'BODY_UNSUPPORTED');
  });

  it('BODY_NO_DIGEST: a message signature compared without the artifact digest', () => {
    const p = parseBundle(pki.bundle().json);
    const signer = { certificate: p.material.kind === 'certificate' ? p.material.certificate.raw : Buffer.alloc(0) };
    rejectsAt('body', () => verifyTlogBody(p.tlogEntries[0]!, p.content, signer, undefined), 'BODY_NO_DIGEST');
  });

  it('a managed-key entry must name the key (BODY_KEY_MISMATCH)', async () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const artifact = Buffer.from('forged artifact\n');
    const sig = nodeSign('sha256', artifact, key.privateKey);
    const spkiPem = (k: typeof key) => k.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const make = (named: typeof key) =>
      pki.bundle({
        body: (b) => {
          b.spec.signature.content = b64(sig);
          b.spec.signature.publicKey.content = b64(spkiPem(named));
        },
        json: (j) => {
          j.messageSignature.signature = b64(sig);
          delete j.verificationMaterial.certificate;
          j.verificationMaterial.publicKey = { hint: 'forged' };
        },
      });
    await verifyForged(trust, make(key), { policy: { key: key.publicKey } });
    await refusedAt(verifyForged(trust, make(other), { policy: { key: key.publicKey } }), 'body', 'BODY_KEY_MISMATCH');
  });
});
