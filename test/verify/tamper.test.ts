/**
 * Every authenticated field of real bundles, tampered (a bit flipped at several positions),
 * must be refused, at the step responsible for it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Identity, loadTrustMaterial, VerificationError, Verifier } from '../../src/index.js';
import { CONFORMANCE_DIR, DEFAULT_IDENTITY, DEFAULT_ISSUER } from '../helpers/conformance.js';

type Json = Record<string, unknown>;

interface Field {
  path: string;
  encoding: 'base64' | 'text' | 'int';
  /** Steps allowed to catch it, the first being the one the field belongs to. */
  steps: string[];
}

function getParent(obj: Json, path: string): [Json, string] {
  const parts = path.split('.');
  let cur: unknown = obj;
  for (const p of parts.slice(0, -1)) cur = (cur as Json)[p];
  return [cur as Json, parts.at(-1)!];
}

function flipped(value: string, encoding: Field['encoding'], pos: number): string {
  if (encoding === 'int') return String(BigInt(value) + 1n);
  const buf = encoding === 'base64' ? Buffer.from(value, 'base64') : Buffer.from(value, 'utf8');
  const i = Math.min(buf.length - 1, Math.floor(pos * buf.length));
  buf[i]! ^= encoding === 'text' ? 0x01 : 0x10;
  return encoding === 'base64' ? buf.toString('base64') : buf.toString('utf8');
}

const CASES: { name: string; fields: Field[] }[] = [
  {
    name: 'happy-path-v0.3',
    fields: [
      { path: 'messageSignature.signature', encoding: 'base64', steps: ['signature'] },
      { path: 'messageSignature.messageDigest.digest', encoding: 'base64', steps: ['signature'] },
      { path: 'verificationMaterial.certificate.rawBytes', encoding: 'base64', steps: ['bundle', 'signature', 'body', 'chain'] },
      { path: 'verificationMaterial.tlogEntries.0.logIndex', encoding: 'int', steps: ['tlog'] },
      { path: 'verificationMaterial.tlogEntries.0.integratedTime', encoding: 'int', steps: ['tlog'] },
      { path: 'verificationMaterial.tlogEntries.0.logId.keyId', encoding: 'base64', steps: ['tlog'] },
      { path: 'verificationMaterial.tlogEntries.0.canonicalizedBody', encoding: 'base64', steps: ['body', 'tlog'] },
      { path: 'verificationMaterial.tlogEntries.0.inclusionPromise.signedEntryTimestamp', encoding: 'base64', steps: ['tlog'] },
      { path: 'verificationMaterial.tlogEntries.0.inclusionProof.rootHash', encoding: 'base64', steps: ['tlog'] },
      { path: 'verificationMaterial.tlogEntries.0.inclusionProof.hashes.0', encoding: 'base64', steps: ['tlog'] },
      { path: 'verificationMaterial.tlogEntries.0.inclusionProof.hashes.3', encoding: 'base64', steps: ['tlog'] },
      { path: 'verificationMaterial.tlogEntries.0.inclusionProof.logIndex', encoding: 'int', steps: ['tlog'] },
      { path: 'verificationMaterial.tlogEntries.0.inclusionProof.treeSize', encoding: 'int', steps: ['tlog'] },
      { path: 'verificationMaterial.tlogEntries.0.inclusionProof.checkpoint.envelope', encoding: 'text', steps: ['tlog'] },
    ],
  },
  {
    name: 'rekor2-happy-path',
    fields: [
      { path: 'messageSignature.signature', encoding: 'base64', steps: ['signature'] },
      { path: 'verificationMaterial.timestampVerificationData.rfc3161Timestamps.0.signedTimestamp', encoding: 'base64', steps: ['timestamp', 'bundle'] },
      { path: 'verificationMaterial.tlogEntries.0.canonicalizedBody', encoding: 'base64', steps: ['body', 'tlog'] },
      { path: 'verificationMaterial.tlogEntries.0.inclusionProof.rootHash', encoding: 'base64', steps: ['tlog'] },
      { path: 'verificationMaterial.tlogEntries.0.inclusionProof.hashes.2', encoding: 'base64', steps: ['tlog'] },
      { path: 'verificationMaterial.tlogEntries.0.inclusionProof.checkpoint.envelope', encoding: 'text', steps: ['tlog'] },
      { path: 'verificationMaterial.tlogEntries.0.logId.keyId', encoding: 'base64', steps: ['tlog'] },
    ],
  },
  {
    name: 'happy-path-intoto-in-dsse-v3',
    fields: [
      { path: 'dsseEnvelope.payload', encoding: 'base64', steps: ['signature'] },
      { path: 'dsseEnvelope.payloadType', encoding: 'text', steps: ['signature'] },
      { path: 'dsseEnvelope.signatures.0.sig', encoding: 'base64', steps: ['signature'] },
      { path: 'verificationMaterial.tlogEntries.0.canonicalizedBody', encoding: 'base64', steps: ['body', 'tlog'] },
      { path: 'verificationMaterial.tlogEntries.0.inclusionProof.rootHash', encoding: 'base64', steps: ['tlog'] },
    ],
  },
];

describe('tampered bundles are refused at the responsible step', async () => {
  for (const c of CASES) {
    const dir = join(CONFORMANCE_DIR, c.name);
    const original = readFileSync(join(dir, 'bundle.sigstore.json'), 'utf8');
    let trustedRoot: string | undefined = join(dir, 'trusted_root.json');
    try {
      readFileSync(trustedRoot);
    } catch {
      trustedRoot = undefined;
    }
    let artifact = join(dir, 'artifact');
    try {
      readFileSync(artifact);
    } catch {
      artifact = join(CONFORMANCE_DIR, 'a.txt');
    }
    const policy = new Identity({ identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER });
    const verifier = new Verifier(await loadTrustMaterial({ trustedRoot, offline: true, onWarning: () => {} }));

    it(`${c.name}: the untampered bundle verifies`, async () => {
      await verifier.verify(original, { path: artifact }, policy);
    });

    for (const f of c.fields) {
      for (const pos of [0, 0.5, 0.999]) {
        if (f.encoding === 'int' && pos > 0) continue;
        it(`${c.name}: ${f.path} @${pos} -> ${f.steps[0]}`, async () => {
          const json = JSON.parse(original) as Json;
          const [parent, key] = getParent(json, f.path);
          assert.ok(parent[key] !== undefined, `field ${f.path} exists`);
          parent[key] = flipped(String(parent[key]), f.encoding, pos);
          await assert.rejects(verifier.verify(JSON.stringify(json), { path: artifact }, policy), (e: unknown) => {
            assert.ok(e instanceof VerificationError, `a VerificationError, got ${e}`);
            assert.ok(f.steps.includes(e.step), `caught at ${e.step} (${e.message}), expected ${f.steps.join(' or ')}`);
            return true;
          });
        });
      }
    }
  }

  it('a different artifact is refused at the signature step', async () => {
    const dir = join(CONFORMANCE_DIR, 'happy-path-v0.3');
    const verifier = new Verifier(await loadTrustMaterial({ offline: true, onWarning: () => {} }));
    await assert.rejects(
      verifier.verify(readFileSync(join(dir, 'bundle.sigstore.json')), { data: Buffer.from('not the artifact') }, new Identity({ identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER })),
      (e: unknown) => e instanceof VerificationError && e.step === 'signature',
    );
  });

  it('another identity or issuer is refused at the policy step', async () => {
    const dir = join(CONFORMANCE_DIR, 'happy-path-v0.3');
    const verifier = new Verifier(await loadTrustMaterial({ offline: true, onWarning: () => {} }));
    const bundle = readFileSync(join(dir, 'bundle.sigstore.json'));
    const a = { path: join(CONFORMANCE_DIR, 'a.txt') };
    for (const policy of [
      new Identity({ identity: `${DEFAULT_IDENTITY}x`, issuer: DEFAULT_ISSUER }),
      new Identity({ identity: DEFAULT_IDENTITY, issuer: 'https://accounts.google.com' }),
      new Identity({ identityRegexp: 'https://github.com/sigstore-conformance/', issuer: DEFAULT_ISSUER }),
    ]) {
      await assert.rejects(verifier.verify(bundle, a, policy), (e: unknown) => e instanceof VerificationError && e.step === 'policy');
    }
    await verifier.verify(bundle, a, new Identity({ identityRegexp: 'https://github\\.com/sigstore-conformance/.*', issuer: DEFAULT_ISSUER }));
  });
});

describe('trust-side changes are refused at the responsible step', () => {
  const dir = join(CONFORMANCE_DIR, 'rekor2-happy-path');
  const bundle = readFileSync(join(dir, 'bundle.sigstore.json'));
  const rootJson = JSON.parse(readFileSync(join(dir, 'trusted_root.json'), 'utf8')) as Record<string, unknown[]>;
  const policy = new Identity({ identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER });
  const artifact = { path: join(CONFORMANCE_DIR, 'a.txt') };
  const cases: [string, (r: Record<string, unknown[]>) => void, string][] = [
    ['no Fulcio CA', (r) => { r.certificateAuthorities = []; }, 'chain'],
    ['no CT log', (r) => { r.ctlogs = []; }, 'sct'],
    ['no transparency log', (r) => { r.tlogs = []; }, 'tlog'],
    ['no TSA', (r) => { r.timestampAuthorities = []; }, 'timestamp'],
    ['CA window ends before signing', (r) => {
      for (const ca of r.certificateAuthorities as { validFor: { start: string; end?: string } }[]) ca.validFor = { start: '2020-01-01T00:00:00Z', end: '2021-01-01T00:00:00Z' };
    }, 'chain'],
    ['log key window ends before signing', (r) => {
      for (const t of r.tlogs as { publicKey: { validFor: { start: string; end?: string } } }[]) t.publicKey.validFor = { start: '2020-01-01T00:00:00Z', end: '2021-01-01T00:00:00Z' };
    }, 'tlog'],
  ];
  for (const [name, change, step] of cases) {
    it(`${name} -> ${step}`, async () => {
      const r = structuredClone(rootJson);
      change(r);
      const { parseTrustedRoot } = await import('../../src/index.js');
      const verifier = new Verifier(parseTrustedRoot(JSON.stringify(r)));
      await assert.rejects(verifier.verify(bundle, artifact, policy), (e: unknown) => {
        assert.ok(e instanceof VerificationError);
        assert.equal(e.step, step, e.message);
        return true;
      });
    });
  }
  /** The CA chain with the last byte of certificate `i`'s signature flipped (still valid DER). */
  const flipSignature = (r: Record<string, unknown[]>, i: number): void => {
    for (const ca of r.certificateAuthorities as { certChain: { certificates: { rawBytes: string }[] } }[]) {
      const c = ca.certChain.certificates[i];
      if (!c) continue;
      const der = Buffer.from(c.rawBytes, 'base64');
      der[der.length - 1]! ^= 0x01;
      c.rawBytes = der.toString('base64');
    }
  };
  it('an intermediate whose signature by the root does not verify -> chain', async () => {
    const r = structuredClone(rootJson);
    flipSignature(r, 0);
    const { parseTrustedRoot } = await import('../../src/index.js');
    await assert.rejects(new Verifier(parseTrustedRoot(JSON.stringify(r))).verify(bundle, artifact, policy), (e: unknown) => e instanceof VerificationError && e.step === 'chain');
  });
  it("the trust anchor's own self-signature is not a check (RFC 5280 6.1): the anchor is trusted as configured", async () => {
    const r = structuredClone(rootJson);
    flipSignature(r, 1);
    const { parseTrustedRoot } = await import('../../src/index.js');
    await new Verifier(parseTrustedRoot(JSON.stringify(r))).verify(bundle, artifact, policy);
  });
  it('the unchanged root verifies', async () => {
    const { parseTrustedRoot } = await import('../../src/index.js');
    await new Verifier(parseTrustedRoot(JSON.stringify(rootJson))).verify(bundle, artifact, policy);
  });
});

describe('managed keys', () => {
  it('an undecodable key is refused with a one-line reason, not an OpenSSL code', async () => {
    const { parseTrustedRoot, UsageError } = await import('../../src/index.js');
    const dir = join(CONFORMANCE_DIR, 'managed-key-wrong-key_fail');
    const verifier = new Verifier(parseTrustedRoot(readFileSync('trust/production/trusted_root.json', 'utf8')));
    await assert.rejects(
      verifier.verify(readFileSync(join(dir, 'bundle.sigstore.json')), { path: join(CONFORMANCE_DIR, 'a.txt') }, { key: readFileSync(join(dir, 'key.pub'), 'utf8') }),
      (e: unknown) => e instanceof UsageError && e.code === 'KEY_INVALID' && /not a SubjectPublicKeyInfo of a supported key type/.test(e.message) && !/error:0/.test(e.message),
    );
  });
});
