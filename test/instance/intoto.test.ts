/**
 * The instance's Rekor v1 takes intoto 0.0.2 entries as Rekor does (sigstore-js's `attest` with
 * legacy compatibility sends them): the log computes the payload and envelope hashes, refuses
 * given hashes that differ, signatures that do not verify and anything but one signature, and
 * keeps the payload out of the body.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pae } from '../../src/bundle/dsse.js';
import { type SigstoreInstance, startInstance } from '../../src/instance/index.js';
import { canonicalJson } from '../../src/instance/util.js';
import { http, tempDir } from './helpers.js';

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64');

describe('Rekor v1 intoto 0.0.2', () => {
  const tmp = tempDir();
  let inst: SigstoreInstance;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
  const type = 'application/vnd.in-toto+json';
  const payload = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [], n: Math.random() }));
  const sig = sign('sha256', pae(type, payload), privateKey);

  before(async () => {
    inst = await startInstance({ dataDir: tmp.dir, port: 0 });
  });
  after(async () => {
    await inst?.stop();
    tmp.cleanup();
  });

  /** The proposed entry as sigstore-js builds it (payload and signature base64-encoded twice). */
  async function proposed(o: { sig?: Buffer; signatures?: number; payloadHash?: string; hash?: string } = {}) {
    const s = o.sig ?? sig;
    const envelopeHash = createHash('sha256')
      .update(await canonicalJson({ payloadType: type, payload: b64(payload), signatures: [{ sig: b64(s), publicKey: pem }] }))
      .digest('hex');
    return {
      apiVersion: '0.0.2',
      kind: 'intoto',
      spec: {
        content: {
          envelope: { payloadType: type, payload: b64(b64(payload)), signatures: Array.from({ length: o.signatures ?? 1 }, () => ({ sig: b64(b64(s)), publicKey: b64(pem) })) },
          hash: { algorithm: 'sha256', value: o.hash ?? envelopeHash },
          payloadHash: { algorithm: 'sha256', value: o.payloadHash ?? createHash('sha256').update(payload).digest('hex') },
        },
      },
    };
  }
  const post = (body: object) => http('POST', `${inst.url}/api/v1/log/entries`, body);

  it('refuses a signature that does not verify, given hashes that differ, and other signature counts (400)', async () => {
    const size = inst.rekorV1.log.size;
    const cases: [object, RegExp][] = [
      [await proposed({ sig: sign('sha256', Buffer.from('other'), privateKey) }), /does not verify/],
      [await proposed({ payloadHash: '00'.repeat(32) }), /payloadHash is not the sha256 of the payload/],
      [await proposed({ hash: '00'.repeat(32) }), /hash is not the sha256 of the envelope/],
      [await proposed({ signatures: 2 }), /exactly one signature/],
      [{ ...(await proposed()), apiVersion: '0.0.1' }, /unsupported intoto apiVersion/],
    ];
    for (const [body, re] of cases) {
      const r = await post(body);
      assert.equal(r.status, 400, r.text());
      assert.match(r.text(), re);
    }
    assert.equal(inst.rekorV1.log.size, size, 'nothing was appended');
  });

  it('accepts the entry sigstore-js sends; the body keeps the hashes, not the payload', async () => {
    const r = await post(await proposed());
    assert.equal(r.status, 201, r.text());
    const entry = Object.values(r.json<Record<string, { body: string }>>())[0]!;
    const body = JSON.parse(Buffer.from(entry.body, 'base64').toString('utf8'));
    assert.equal(body.kind, 'intoto');
    assert.equal(body.spec.content.envelope.payload, undefined);
    assert.equal(body.spec.content.payloadHash.value, createHash('sha256').update(payload).digest('hex'));
    assert.equal(Buffer.from(body.spec.content.envelope.signatures[0].sig, 'base64').toString(), b64(sig));
  });
});
