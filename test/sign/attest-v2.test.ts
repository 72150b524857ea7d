/**
 * `sigstore attest --rekor-version 2` against the local instance: the bundle's log entry is a
 * hashedrekord 0.0.2 over the DSSE envelope's PAE (Rekor v2 takes no DSSE entries), with an RFC
 * 3161 timestamp, and `sigstore verify` accepts it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pae } from '../../src/bundle/dsse.js';
import { parseBundle } from '../../src/bundle/parse.js';
import { runMain } from '../helpers/in-process.js';
import { startTestInstance, type TestInstance } from './helpers.js';

let t: TestInstance;
let dir: string;

before(async () => {
  t = await startTestInstance();
  dir = join(t.dir, 'attest-v2');
  mkdirSync(dir);
});
after(async () => {
  await t?.stop();
});

const cli = (args: string[]) => runMain(args);

describe('sigstore attest --rekor-version 2', () => {
  for (const keyType of ['p256', 'p384'] as const) {
    it(`writes a hashedrekord 0.0.2 bundle that sigstore verify accepts (${keyType})`, async () => {
      const f = join(dir, `artifact-${keyType}.txt`);
      writeFileSync(f, `attested ${keyType}\n`);
      const predicate = join(dir, 'predicate.json');
      writeFileSync(predicate, '{"note":"x"}');
      const r = await cli([
        '--trust-config', t.trustConfigPath, 'attest', '--identity-token', await t.inst.token(), '--rekor-version', '2', '--key-type', keyType,
        '--predicate', predicate, '--predicate-type', 'https://example.com/predicate/v1', f,
      ]);
      assert.equal(r.code, 0, r.err);
      const b = parseBundle(readFileSync(`${f}.sigstore.json`));
      assert.equal(b.content.kind, 'dsseEnvelope');
      assert.deepEqual([b.tlogEntries[0]!.kind, b.tlogEntries[0]!.version], ['hashedrekord', '0.0.2']);
      assert.equal(b.timestamps.length, 1);
      if (b.content.kind === 'dsseEnvelope') {
        const body = JSON.parse(b.tlogEntries[0]!.canonicalizedBody.toString('utf8'));
        const hash = keyType === 'p384' ? 'sha384' : 'sha256';
        assert.equal(body.spec.hashedRekordV002.data.digest, createHash(hash).update(pae(b.content.envelope.payloadType, b.content.envelope.payload)).digest('base64'));
      }
      const v = await cli(['--trust-config', t.trustConfigPath, 'verify', 'identity', '--cert-identity', t.inst.identity, '--cert-oidc-issuer', t.inst.issuer, f]);
      assert.equal(v.code, 0, v.err);
      assert.match(v.err, /OK: /);
    });
  }
});
