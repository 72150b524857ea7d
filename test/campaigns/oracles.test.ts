/**
 * The trusted-root oracle of the fuzz campaign counts as key material exactly what the verifier
 * uses: key and log ID bytes (not their base64 spelling) and a checkpoint key ID's 4-byte hint.
 * A change the verifier cannot see is no finding; a log the original did not trust still is.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { trustedRootJson } from '../../src/trust/material.js';
import { trustedRootFalseAcceptance } from './oracles.js';
import { type Genuine, genuineBundles } from './tamper.js';

type Json = Record<string, unknown>;
type Log = { publicKey: { rawBytes: string }; logId: { keyId: string }; checkpointKeyId?: { keyId: string } };

describe('fuzz oracle: trusted root key material', () => {
  let g: Genuine;
  let original: Json;
  /** The original with the Rekor v2 (Ed25519) log of the bundle changed by `change`. */
  const mutated = (change: (log: Log) => void): Json => {
    const copy = structuredClone(original);
    const log = (copy.tlogs as Log[]).find((l) => (l.publicKey as { keyDetails?: string }).keyDetails === 'PKIX_ED25519')!;
    change(log);
    return copy;
  };
  const oracle = (m: Json) => trustedRootFalseAcceptance(original, m, g.bundle, { path: g.artifactPath }, g.policy);

  before(async () => {
    g = (await genuineBundles({ instance: false })).find((x) => x.name === 'conformance/rekor2-happy-path')!;
    original = trustedRootJson(g.trust) as unknown as Json;
  });

  it('the same key bytes spelled in non-canonical base64: no finding', async () => {
    const m = mutated((l) => {
      const b = l.publicKey.rawBytes;
      // The last character before the padding carries unused low bits: set one of them.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      const at = b.replace(/=+$/, '').length - 1;
      l.publicKey.rawBytes = b.slice(0, at) + alphabet[alphabet.indexOf(b[at]!) ^ 1] + b.slice(at + 1);
      assert.notEqual(l.publicKey.rawBytes, b);
      assert.deepEqual(Buffer.from(l.publicKey.rawBytes, 'base64'), Buffer.from(b, 'base64'));
    });
    assert.equal(await oracle(m), undefined);
  });

  it('a checkpoint key ID changed after its 4-byte hint: no finding', async () => {
    const m = mutated((l) => {
      const id = Buffer.from(l.logId.keyId, 'base64');
      id[10]! ^= 0xff;
      l.checkpointKeyId = { keyId: id.toString('base64') };
    });
    assert.equal(await oracle(m), undefined);
  });

  it('a log the original root did not trust: a finding', async () => {
    const m = structuredClone(original);
    const withoutLog = mutated(() => {});
    withoutLog.tlogs = (withoutLog.tlogs as Log[]).filter((l) => (l.publicKey as { keyDetails?: string }).keyDetails !== 'PKIX_ED25519');
    const r = await trustedRootFalseAcceptance(withoutLog, m, g.bundle, { path: g.artifactPath }, g.policy);
    assert.match(r ?? '', /verified only thanks to changed key material/);
  });
});
