/**
 * The smaller service endpoints: Fulcio's trust bundle and configuration, the CT log over HTTP
 * (add-pre-chain refuses non-precertificates; get-sth is signed), Rekor v1 lookups by UUID,
 * entry ID, index and retrieve, and a restart of the library instance on the same data
 * directory (same keys, same logs, same port).
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type SigstoreInstance, startInstance } from '../../src/instance/index.js';
import { http, tempDir } from './helpers.js';

describe('service endpoints', () => {
  const tmp = tempDir();
  let inst: SigstoreInstance;
  before(async () => {
    inst = await startInstance({ dataDir: tmp.dir, port: 0 });
  });
  after(async () => {
    await inst?.stop();
    tmp.cleanup();
  });

  it('Fulcio publishes its chain and configuration', async () => {
    const bundle = (await http('GET', `${inst.url}/api/v2/trustBundle`)).json<{ chains: { certificates: string[] }[] }>();
    assert.equal(bundle.chains[0]!.certificates.length, 2);
    const ca = (inst.trustedRoot.certificateAuthorities as { certChain: { certificates: { rawBytes: string }[] } }[])[0]!;
    const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64');
    assert.deepEqual(
      bundle.chains[0]!.certificates.map(der),
      ca.certChain.certificates.map((c) => c.rawBytes),
    );
    const config = (await http('GET', `${inst.url}/api/v2/configuration`)).json<{ issuers: { issuerUrl: string; audience: string }[] }>();
    assert.deepEqual(config.issuers[0], { issuerUrl: inst.issuer, audience: 'sigstore', challengeClaim: 'email' });
  });

  it('the CT log takes only precertificate chains over HTTP, and signs its tree head', async () => {
    const ca = (inst.trustedRoot.certificateAuthorities as { certChain: { certificates: { rawBytes: string }[] } }[])[0]!;
    const chain = ca.certChain.certificates.map((c) => c.rawBytes);
    const r = await http('POST', `${inst.ctUrl}/v1/add-pre-chain`, { chain });
    assert.equal(r.status, 400);
    assert.match(r.json<{ message: string }>().message, /not a precertificate/);
    const bad = await http('POST', `${inst.ctUrl}/v1/add-pre-chain`, { chain: ['!!'] });
    assert.equal(bad.status, 400);

    // Issue a certificate (which logs a precertificate), then check the STH.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ok = await http('POST', `${inst.url}/api/v2/signingCert`, {
      credentials: { oidcIdentityToken: await inst.token() },
      publicKeyRequest: { publicKey: { content: publicKey.export({ format: 'pem', type: 'spki' }) }, proofOfPossession: sign('sha256', Buffer.from(inst.identity), privateKey).toString('base64') },
    });
    assert.equal(ok.status, 201);
    const sth = (await http('GET', `${inst.ctUrl}/v1/get-sth`)).json<{ tree_size: number; timestamp: number; sha256_root_hash: string; tree_head_signature: string }>();
    assert.ok(sth.tree_size >= 1);
    const ctlog = (inst.trustedRoot.ctlogs as { publicKey: { rawBytes: string } }[])[0]!;
    const key = createPublicKey({ key: Buffer.from(ctlog.publicKey.rawBytes, 'base64'), format: 'der', type: 'spki' });
    const sig = Buffer.from(sth.tree_head_signature, 'base64');
    assert.deepEqual([...sig.subarray(0, 2)], [4, 3], 'sha256, ecdsa');
    const u64 = (n: number) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(BigInt(n));
      return b;
    };
    const signed = Buffer.concat([Buffer.from([0, 1]), u64(sth.timestamp), u64(sth.tree_size), Buffer.from(sth.sha256_root_hash, 'base64')]);
    assert.ok(verify('sha256', signed, key, sig.subarray(4)), 'the STH signature verifies');
  });

  it('Rekor v1 finds entries by UUID, entry ID, index and retrieve', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const data = Buffer.from('lookup me');
    const entry = {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(data).digest('hex') } },
        signature: {
          content: sign('sha256', data, privateKey).toString('base64'),
          publicKey: { content: Buffer.from(publicKey.export({ format: 'pem', type: 'spki' })).toString('base64') },
        },
      },
    };
    const created = await http('POST', `${inst.url}/api/v1/log/entries`, entry);
    assert.equal(created.status, 201);
    const [[entryId, e]] = Object.entries(created.json<Record<string, { logIndex: number; body: string }>>()) as [[string, { logIndex: number; body: string }]];
    assert.match(entryId, /^[0-9a-f]{80}$/);
    const byId = (await http('GET', `${inst.url}/api/v1/log/entries/${entryId}`)).json<Record<string, { body: string }>>();
    const byUuid = (await http('GET', `${inst.url}/api/v1/log/entries/${entryId.slice(16)}`)).json<Record<string, { body: string }>>();
    const byIndex = (await http('GET', `${inst.url}/api/v1/log/entries?logIndex=${e.logIndex}`)).json<Record<string, { body: string }>>();
    for (const r of [byId, byUuid, byIndex]) assert.equal(r[entryId]?.body, e.body);
    const retrieved = (
      await http('POST', `${inst.url}/api/v1/log/entries/retrieve`, { entryUUIDs: [entryId.slice(16)], logIndexes: [e.logIndex], entries: [entry] })
    ).json<Record<string, { body: string }>[]>();
    assert.equal(retrieved.length, 3);
    for (const r of retrieved) assert.equal(r[entryId]?.body, e.body);
    const pem = (await http('GET', `${inst.url}/api/v1/log/publicKey`)).text();
    assert.equal(createHash('sha256').update(createPublicKey(pem).export({ format: 'der', type: 'spki' })).digest('hex'), inst.rekorV1.logId.toString('hex'));
  });

  it('restarts on the same data directory with the same keys, logs and port', async () => {
    const url = inst.url;
    const size = inst.rekorV1.log.size;
    const root = JSON.stringify(inst.trustedRoot);
    await inst.stop();
    inst = await startInstance({ dataDir: tmp.dir });
    assert.equal(inst.url, url);
    assert.equal(inst.rekorV1.log.size, size);
    assert.equal(JSON.stringify(inst.trustedRoot), root, 'the same trusted root');
  });
});
