/**
 * Whatever bytes are put in any position of a bundle (the JSON text, the certificate, the
 * timestamp tokens, the log entry body, the SET, the proof, the checkpoint, the DSSE payload),
 * a verification either succeeds or refuses with a VerificationError (BundleError, PolicyError)
 * naming its step and carrying a code: never a TypeError, RangeError or bare DerError.
 * Seeded, so any failure replays.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Identity, loadTrustMaterial, parseTrustedRoot, SigstoreError, VerificationError, Verifier } from '../../src/index.js';
import { mutateDer, mutateJson, rng } from '../campaigns/fuzz.js';
import { conformanceCases } from '../helpers/conformance.js';

const CASES = ['happy-path-v0.1', 'happy-path-v0.3', 'happy-path-intoto-in-dsse-v3', 'rekor2-happy-path', 'rekor2-timestamp-with-embedded-cert', 'managed-key-happy-path'];
const ROUNDS = 40;

// biome-ignore lint/suspicious/noExplicitAny: mutating arbitrary positions of a JSON document
type Json = Record<string, any>;

/** Byte positions of a bundle, as (object, key) pairs: each gets DER-style mutations (flips, truncation, insertion). */
const positions: Record<string, (b: Json) => [Json | undefined, string | number]> = {
  certificate: (b) => [b.verificationMaterial.certificate ?? b.verificationMaterial.x509CertificateChain?.certificates?.[0], 'rawBytes'],
  timestamp: (b) => [b.verificationMaterial.timestampVerificationData?.rfc3161Timestamps?.[0], 'signedTimestamp'],
  body: (b) => [b.verificationMaterial.tlogEntries[0], 'canonicalizedBody'],
  set: (b) => [b.verificationMaterial.tlogEntries[0].inclusionPromise, 'signedEntryTimestamp'],
  proofHash: (b) => [b.verificationMaterial.tlogEntries[0].inclusionProof?.hashes, 0],
  payload: (b) => [b.dsseEnvelope, 'payload'],
  messageSignature: (b) => [b.messageSignature, 'signature'],
  dsseSignature: (b) => [b.dsseEnvelope?.signatures?.[0], 'sig'],
};

function checkRefusal(e: unknown, what: string): void {
  assert.ok(e instanceof VerificationError, `${what}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  assert.match(e.code, /^[A-Z0-9_]+$/, what);
  assert.ok(e.step, what);
}

describe('malformed input in every position is refused as a VerificationError with a step and a code', () => {
  for (const c of conformanceCases().filter((x) => CASES.includes(x.name))) {
    it(c.name, async () => {
      const verifier = new Verifier(await loadTrustMaterial({ trustedRoot: c.trustedRootPath, offline: true }));
      const policy = c.keyPath ? { key: readFileSync(c.keyPath, 'utf8') } : new Identity({ identity: c.identity, issuer: c.issuer });
      const text = readFileSync(c.bundlePath, 'utf8');
      const original = JSON.parse(text) as Json;
      const artifact = { path: c.artifactPath };
      const attempt = async (input: string | Buffer, what: string) => {
        try {
          await verifier.verify(input, artifact, policy);
        } catch (e) {
          checkRefusal(e, what);
        }
      };
      for (let i = 0; i < ROUNDS; i++) {
        const r = rng(i * 7919 + c.name.length);
        await attempt(JSON.stringify(mutateJson(r, original)), `${c.name} json #${i}`);
        const raw = Buffer.from(text);
        await attempt(mutateDer(r, raw), `${c.name} text bytes #${i}`);
        for (const [name, pos] of Object.entries(positions)) {
          const b = structuredClone(original);
          const [holder, key] = pos(b);
          const v = holder?.[key];
          if (typeof v !== 'string') continue;
          holder![key] = mutateDer(r, Buffer.from(v, 'base64')).toString('base64');
          await attempt(JSON.stringify(b), `${c.name} ${name} #${i}`);
        }
      }
    });
  }

  it('trusted roots: mutated text is refused with a coded SigstoreError', () => {
    const c = conformanceCases().find((x) => x.name === 'intoto-with-custom-trust-root')!;
    const text = readFileSync(c.trustedRootPath!, 'utf8');
    const original = JSON.parse(text);
    for (let i = 0; i < 200; i++) {
      const r = rng(i);
      for (const input of [JSON.stringify(mutateJson(r, original)), mutateDer(r, Buffer.from(text)).toString('latin1')]) {
        try {
          parseTrustedRoot(input);
        } catch (e) {
          assert.ok(e instanceof SigstoreError, `trusted root #${i}: ${(e as Error).constructor.name}: ${(e as Error).message}`);
        }
      }
    }
  });
});

describe('asVerificationError (the verifier boundary)', () => {
  it('keeps our errors, names the step of DER and internal errors, with a code', async () => {
    const { asVerificationError } = await import('../../src/verify/verifier.js');
    const { DerError } = await import('../../src/lib/der.js');
    const ours = new VerificationError('tlog', 'SET_INVALID', 'x');
    assert.equal(asVerificationError(ours, 'chain'), ours);
    const der = asVerificationError(new DerError('bad', 'X509_EXTENSION_INVALID'), 'chain') as VerificationError;
    assert.ok(der instanceof VerificationError);
    assert.deepEqual([der.step, der.code], ['chain', 'X509_EXTENSION_INVALID']);
    const internal = asVerificationError(new TypeError('x is undefined'), 'sct') as VerificationError;
    assert.deepEqual([internal.step, internal.code], ['sct', 'INPUT_MALFORMED']);
  });
});
