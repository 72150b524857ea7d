/**
 * Trust material is immutable once built, and no cached answer crosses trust roots or times:
 * mutation attempts on parsed material throw or change nothing; in one process, with every
 * cache warm from a verification against the full root, a root that differs in one log key,
 * one validity window or one CA (or a verification time before the log entry) is refused at its
 * step, and the full root still verifies after.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseBundle } from '../../src/bundle/parse.js';
import { VerificationError, type VerificationStep } from '../../src/errors.js';
import { buildTrustMaterial, parseTrustedRoot, type TrustMaterial, trustedRootJson } from '../../src/trust/trusted-root.js';
import { unsafeAcceptAnyIdentity } from '../../src/verify/policy.js';
import { verifySCTs } from '../../src/verify/sct.js';
import { Verifier, type VerifierOptions } from '../../src/verify/verifier.js';
import { refusedAt as refused } from '../helpers/verify.js';

const C = join(import.meta.dirname, '..', 'fixtures', 'conformance');
const artifact = { path: join(C, 'a.txt') };
const policy = unsafeAcceptAnyIdentity();
const PROD = parseTrustedRoot(readFileSync(join(import.meta.dirname, '..', '..', 'trust', 'production', 'trusted_root.json'), 'utf8'), 'production');
const PROD_BUNDLE = readFileSync(join(C, 'happy-path-v0.3', 'bundle.sigstore.json'), 'utf8');
const R2 = parseTrustedRoot(readFileSync(join(C, 'rekor2-timestamp-with-embedded-cert', 'trusted_root.json'), 'utf8'), 'rekor v2 staging');
const R2_BUNDLE = readFileSync(join(C, 'rekor2-timestamp-with-embedded-cert', 'bundle.sigstore.json'), 'utf8');

const verify = (trust: TrustMaterial, bundle: string, options: VerifierOptions = {}) => new Verifier(trust, options).verify(bundle, artifact, policy);

describe('trust material is immutable once built', () => {
  it('parsed material, its lists, logs, authorities and certificates are frozen; assignments throw', () => {
    const t = parseTrustedRoot(readFileSync(join(import.meta.dirname, '..', '..', 'trust', 'production', 'trusted_root.json'), 'utf8'));
    const before = JSON.stringify(trustedRootJson(t));
    for (const o of [t, t.tlogs, t.ctlogs, t.certificateAuthorities, t.timestampAuthorities, t.ctlogs[0]!, t.ctlogs[0]!.validFor, t.certificateAuthorities[0]!, t.certificateAuthorities[0]!.certs]) {
      assert.ok(Object.isFrozen(o));
    }
    const cert = t.certificateAuthorities[0]!.certs[0]!;
    assert.ok(Object.isFrozen(cert) && Object.isFrozen(cert.extensions));
    const attempts: [string, () => unknown][] = [
      ['empty ctlogs in place', () => ((t.ctlogs as unknown[]).length = 0)],
      ['splice tlogs', () => t.tlogs.splice(0)],
      ['push a CA', () => t.certificateAuthorities.push(t.certificateAuthorities[0]!)],
      ['replace ctlogs', () => ((t as { ctlogs: unknown }).ctlogs = [])],
      ['change a log key', () => ((t.ctlogs[0] as { key: unknown }).key = generateKeyPairSync('ed25519').publicKey)],
      ['change a window', () => ((t.ctlogs[0]!.validFor as { end: unknown }).end = new Date(0))],
      ['replace a CA chain', () => ((t.certificateAuthorities[0] as { certs: unknown }).certs = [])],
      ['add an extension', () => cert.extensions.push(cert.extensions[0]!)],
      ['replace certificate bytes', () => ((cert as { raw: unknown }).raw = Buffer.alloc(0))],
    ];
    for (const [what, f] of attempts) assert.throws(f, TypeError, what);
    // Bytes and dates cannot be frozen: what the model hands out are copies.
    t.ctlogs[0]!.logId.fill(0);
    t.tlogs[0]!.validFor.start.setTime(0);
    cert.notAfter.setTime(0);
    t.certificateAuthorities[0]!.validFor.start.setTime(0);
    assert.equal(JSON.stringify(trustedRootJson(t)), before, 'nothing changed');
    assert.notEqual(cert.notAfter.getTime(), 0);
    assert.equal('json' in t, false, 'no raw JSON beside the model');
  });

  it('emptying ctlogs of unbuilt material after a verification leaves no cached SCT answer', async () => {
    const bundle = parseBundle(PROD_BUNDLE);
    assert.ok(bundle.material.kind === 'certificate');
    const leaf = bundle.material.certificate;
    const issuer = PROD.certificateAuthorities.flatMap((a) => a.certs).find((c) => leaf.isIssuedBy(c))!;
    const loose = { ...PROD, ctlogs: [...PROD.ctlogs] } as TrustMaterial;
    verifySCTs(leaf, issuer, loose);
    (loose.ctlogs as unknown[]).length = 0;
    assert.throws(() => verifySCTs(leaf, issuer, loose), (e: unknown) => e instanceof VerificationError && e.code === 'SCT_UNTRUSTED_LOG');
  });

  it('a Verifier keeps its own frozen copy of unbuilt material: changing the caller object afterwards changes nothing', async () => {
    const loose = { ...PROD, ctlogs: [...PROD.ctlogs] } as TrustMaterial;
    const v = new Verifier(loose);
    assert.ok(Object.isFrozen(v.trust));
    await v.verify(PROD_BUNDLE, artifact, policy);
    (loose.ctlogs as unknown[]).length = 0;
    await v.verify(PROD_BUNDLE, artifact, policy);
    await refused(verify(loose, PROD_BUNDLE), 'sct', 'SCT_UNTRUSTED_LOG');
  });

  it('buildTrustMaterial refuses parts that are not trust material', () => {
    for (const bad of [{ tlogs: 5 }, { ctlogs: [{ logId: 'x' }] }, { certificateAuthorities: [{ uri: 'x', certs: [], validFor: { start: new Date() } }] }]) {
      assert.throws(() => buildTrustMaterial(bad as never), (e: unknown) => (e as { code?: string }).code === 'TRUSTED_ROOT_INVALID');
    }
    assert.equal(buildTrustMaterial(PROD), PROD, 'built material is taken as it is');
  });
});

/** The material with every entry of `list` changed by `f`. */
function changed<L extends 'tlogs' | 'ctlogs' | 'certificateAuthorities' | 'timestampAuthorities'>(t: TrustMaterial, list: L, f: (x: TrustMaterial[L][number]) => object): TrustMaterial {
  return buildTrustMaterial({ ...t, [list]: t[list].map((x) => ({ ...x, ...f(x) })) });
}

const LONG_AGO = { start: new Date('2000-01-01T00:00:00Z'), end: new Date('2001-01-01T00:00:00Z') };
const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;

describe('no cached answer crosses trust roots or times', () => {
  const cases: [string, TrustMaterial, string, TrustMaterial, VerificationStep, string][] = [
    ['a CT log with another key under its log ID', PROD, PROD_BUNDLE, changed(PROD, 'ctlogs', () => ({ key: otherKey })), 'sct', 'SCT_SIGNATURE_INVALID'],
    ['CT log windows that end before the SCT', PROD, PROD_BUNDLE, changed(PROD, 'ctlogs', () => ({ validFor: LONG_AGO })), 'sct', 'SCT_OUTSIDE_LOG_VALIDITY'],
    ['no CT log', PROD, PROD_BUNDLE, buildTrustMaterial({ ...PROD, ctlogs: [] }), 'sct', 'SCT_UNTRUSTED_LOG'],
    ['a Rekor log with another key under its log ID', PROD, PROD_BUNDLE, changed(PROD, 'tlogs', () => ({ key: otherKey })), 'tlog', 'CHECKPOINT_SIGNATURE_INVALID'],
    ['Rekor key windows that end before the entry', PROD, PROD_BUNDLE, changed(PROD, 'tlogs', () => ({ validFor: LONG_AGO })), 'tlog', 'TLOG_KEY_NOT_VALID'],
    ['CA windows that end before the signature', PROD, PROD_BUNDLE, changed(PROD, 'certificateAuthorities', () => ({ validFor: LONG_AGO })), 'chain', 'CHAIN_NOT_VALID_AT_TIME'],
    ['another instance’s CA chain', PROD, PROD_BUNDLE, changed(PROD, 'certificateAuthorities', () => ({ certs: R2.certificateAuthorities[0]!.certs })), 'chain', 'CHAIN_UNTRUSTED'],
    ['Rekor v2: a log with another key', R2, R2_BUNDLE, changed(R2, 'tlogs', () => ({ key: otherKey })), 'tlog', 'CHECKPOINT_SIGNATURE_INVALID'],
    ['Rekor v2: TSA windows that end before the timestamp', R2, R2_BUNDLE, changed(R2, 'timestampAuthorities', () => ({ validFor: LONG_AGO })), 'timestamp', 'TIMESTAMP_OUTSIDE_TSA_VALIDITY'],
    ['Rekor v2: another TSA chain', R2, R2_BUNDLE, changed(R2, 'timestampAuthorities', () => ({ certs: PROD.timestampAuthorities[0]!.certs })), 'timestamp', 'TIMESTAMP_UNTRUSTED_TSA'],
    ['Rekor v2: CA windows that end before the timestamp', R2, R2_BUNDLE, changed(R2, 'certificateAuthorities', () => ({ validFor: LONG_AGO })), 'chain', 'CHAIN_NOT_VALID_AT_TIME'],
  ];
  for (const [what, full, bundle, other, step, code] of cases) {
    it(`${what}: refused right after the full root verified, which still verifies after`, async () => {
      await verify(full, bundle);
      await refused(verify(other, bundle), step, code);
      await verify(full, bundle);
      // The same with a parsed bundle shared by both verifications.
      const parsed = parseBundle(bundle);
      await new Verifier(full).verify(parsed, artifact, policy);
      await refused(new Verifier(other).verify(parsed, artifact, policy), step, code);
    });
  }

  it('a verification time before the log entry is refused right after the same bundle verified now, and now still verifies', async () => {
    await verify(PROD, PROD_BUNDLE);
    await refused(verify(PROD, PROD_BUNDLE, { now: new Date('2024-01-01T00:00:00Z') }), 'tlog', 'TLOG_TIME_IN_FUTURE');
    await verify(PROD, PROD_BUNDLE);
  });

  it('a result shares nothing changeable with the caches: changing its times changes no later result', async () => {
    for (const [trust, bundle] of [
      [PROD, PROD_BUNDLE],
      [R2, R2_BUNDLE],
    ] as const) {
      const first = await verify(trust, bundle);
      const times = first.timestamps.map((t) => t.time.getTime());
      for (const t of first.timestamps) t.time.setTime(0);
      assert.throws(() => ((first.signer as { identity: string }).identity = 'someone else'), TypeError);
      const second = await verify(trust, bundle);
      assert.deepEqual(
        second.timestamps.map((t) => t.time.getTime()),
        times,
      );
    }
  });

  it('roots equal in content give the same answers (caches are shared by content, not by object)', async () => {
    const twin = parseTrustedRoot(JSON.stringify(trustedRootJson(PROD)), 'twin');
    assert.notEqual(twin, PROD);
    await verify(PROD, PROD_BUNDLE);
    await verify(twin, PROD_BUNDLE);
    await refused(verify(buildTrustMaterial({ ...twin, ctlogs: [] }), PROD_BUNDLE), 'sct', 'SCT_UNTRUSTED_LOG');
  });
});
