/**
 * The campaigns can fail: with a check disabled in the code under test (a verifier, timestamp
 * checker or signing-config parser replaced here, in the test only), each campaign must report a
 * false acceptance, and the load campaign's tree-head check must report a tree head that is not
 * a prefix of the final tree. A campaign that cannot fail proves nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MerkleTree } from '../../src/instance/merkle.js';
import { UsageError, VerificationError, type VerificationStep } from '../../src/errors.js';
import { parseSigningConfig, type SigningConfig } from '../../src/trust/signing-config.js';
import type { TrustMaterial } from '../../src/trust/trusted-root.js';
import { verifyTimestamps } from '../../src/verify/timestamp.js';
import type { VerificationResult } from '../../src/verify/types.js';
import { Verifier } from '../../src/verify/verifier.js';
import { runFuzzCampaign } from './fuzz.js';
import { runTamperCampaign } from './tamper.js';
import { checkTreeHeads, rootOf, verifyConsistency } from './tree-heads.js';

/** A verifier with the checks of `steps` disabled: a refusal at one of them becomes a success. */
function withoutSteps(steps: VerificationStep[]): (trust: TrustMaterial) => Pick<Verifier, 'verify'> {
  return (trust) => {
    const real = new Verifier(trust);
    return {
      verify: async (...args: Parameters<Verifier['verify']>) => {
        try {
          return await real.verify(...args);
        } catch (e) {
          if (e instanceof VerificationError && steps.includes(e.step)) return {} as VerificationResult;
          // The key step's own check: the caller's key must be a valid public key.
          if (e instanceof UsageError && e.code === 'KEY_INVALID' && steps.includes('key')) return {} as VerificationResult;
          throw e;
        }
      },
    };
  };
}

describe('campaign self-tests: a disabled check is reported', () => {
  it('tamper: without the SCT check, re-signed certificate variants are accepted and reported', { timeout: 120_000 }, async () => {
    const r = await runTamperCampaign({ instance: false, filter: /^forged\//, verifier: withoutSteps(['sct']) });
    assert.ok(r.accepted.some((a) => /re-signed by the forged CA/.test(a)), r.accepted.slice(0, 5).join('\n'));
  });

  it('tamper: without the chain check, re-issued certificate profiles are accepted and reported', { timeout: 120_000 }, async () => {
    const r = await runTamperCampaign({ instance: false, filter: /^forged\//, verifier: withoutSteps(['chain']) });
    for (const what of ['a CA leaf', 'EKU timeStamping', 'valid only after the log time']) assert.ok(r.accepted.some((a) => a.endsWith(what)), `${what}: ${r.accepted.join('; ')}`);
  });

  it('tamper: without the timestamp check, re-signed timestamp variants are accepted and reported', { timeout: 120_000 }, async () => {
    const r = await runTamperCampaign({ instance: false, filter: /^forged\//, verifier: withoutSteps(['timestamp']) });
    assert.ok(r.accepted.some((a) => /re-signed by the forged TSA/.test(a)));
    assert.ok(r.accepted.some((a) => /codeSigning EKU/.test(a)));
  });

  it('fuzz: with checks disabled, a false acceptance is reported for each of the 7 input types', { timeout: 300_000 }, async () => {
    const lenientTimestamps: typeof verifyTimestamps = (tokens, signature, trust) => {
      try {
        return verifyTimestamps(tokens, signature, trust);
      } catch {
        return tokens.map(() => ({ time: new Date(0), source: 'tsa' as const, authority: 'disabled' }));
      }
    };
    const lenientSigningConfig: typeof parseSigningConfig = (input, source) => {
      try {
        return parseSigningConfig(input, source);
      } catch {
        // The checks disabled: the JSON taken as it is.
        const o = JSON.parse(input.toString());
        const list = (v: unknown) => (Array.isArray(v) ? v.map((s) => ({ ...s, validFor: { start: new Date(s?.validFor?.start), end: undefined } })) : []);
        return { ...o, caUrls: list(o.caUrls), oidcUrls: list(o.oidcUrls), rekorTlogUrls: list(o.rekorTlogUrls), tsaUrls: list(o.tsaUrls), rekorTlogConfig: o.rekorTlogConfig ?? {}, tsaConfig: o.tsaConfig ?? {} } as SigningConfig;
      }
    };
    const r = await runFuzzCampaign({
      iterations: 1400,
      seed: 99,
      hooks: {
        verifier: withoutSteps(['key', 'signature', 'body', 'tlog', 'timestamp', 'time', 'chain', 'sct', 'policy']),
        verifyTimestamps: lenientTimestamps,
        parseSigningConfig: lenientSigningConfig,
      },
    });
    const reported = new Set(r.findings.filter((f) => f.problem.startsWith('false acceptance')).map((f) => f.target));
    for (const t of ['bundle', 'trusted-root', 'certificate', 'timestamp', 'pem-key', 'signing-config', 'trust-config']) {
      assert.ok(reported.has(t), `a false acceptance of a mutated ${t} is reported (reported: ${[...reported].join(', ')})`);
    }
  });

  it('fuzz: with every check in place, the same inputs give no finding', { timeout: 300_000 }, async () => {
    const r = await runFuzzCampaign({ iterations: 700, seed: 99 });
    assert.deepEqual(r.findings, []);
  });

  it('load: tree heads that are not prefixes of the final tree are reported', async () => {
    const tree = new MerkleTree();
    const leaves = Array.from({ length: 37 }, (_, i) => Buffer.alloc(32, i));
    for (const l of leaves) tree.append(l);
    const final = { size: 37, root: tree.root() };
    const genuine = [5, 8, 16, 20, 37].map((size) => ({ size, root: tree.root(size) }));
    const proof = async (size: number) => tree.consistencyProof(size, 37);
    for (const evidence of [{ proof }, { leaves }]) {
      const ok = await checkTreeHeads('log', genuine, final, evidence);
      assert.deepEqual(ok, { checked: 5, problems: [] });
      const forkedRoot = Buffer.from(tree.root(20));
      forkedRoot[0]! ^= 1;
      const bad = await checkTreeHeads('log', [{ size: 20, root: forkedRoot }, { size: 40, root: tree.root() }, { size: 8, root: tree.root(8) }, { size: 8, root: tree.root(9) }], final, evidence);
      assert.equal(bad.checked, 1);
      assert.equal(bad.problems.length, 3, bad.problems.join('\n'));
      assert.match(bad.problems.join('\n'), /size 20 handed out is not consistent/);
      assert.match(bad.problems.join('\n'), /final tree has 37 leaves/);
      assert.match(bad.problems.join('\n'), /split view/);
    }
  });

  it('load: the consistency proof verifier accepts exactly the proofs of the tree', () => {
    const tree = new MerkleTree();
    for (let i = 0; i < 70; i++) tree.append(Buffer.alloc(32, i));
    for (let m = 1; m <= 70; m++) {
      for (const n of [m, m + 1, 64, 70].filter((x) => x >= m && x <= 70)) {
        const p = tree.consistencyProof(m, n);
        assert.ok(verifyConsistency(m, n, tree.root(m), tree.root(n), p), `${m} -> ${n}`);
        assert.equal(rootOf(Array.from({ length: m }, (_, i) => Buffer.alloc(32, i))).equals(tree.root(m)), true);
        if (p.length > 0) {
          const q = p.map((h) => Buffer.from(h));
          q[0]![0]! ^= 1;
          assert.equal(verifyConsistency(m, n, tree.root(m), tree.root(n), q), false, `tampered ${m} -> ${n}`);
        }
        if (m < n) assert.equal(verifyConsistency(m, n, tree.root(m - 1 || 1), tree.root(n), p), m === 1, `wrong first root ${m} -> ${n}`);
      }
    }
  });

});
