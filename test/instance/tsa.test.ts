/**
 * The timestamp authority speaks RFC 3161 over HTTP: a DER query (made by OpenSSL and by pkijs)
 * gets a DER reply with the nonce echoed, the certificate included when asked for, the Sigstore
 * policy, and a signature OpenSSL's `ts -verify` and sigstore-js's RFC 3161 parser accept.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RFC3161Timestamp } from '@sigstore/core';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { type SigstoreInstance, startInstance } from '../../src/instance/index.js';
import { http, tempDir } from './helpers.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

function query(digest: Buffer<ArrayBuffer>, opts: { nonce?: Buffer<ArrayBuffer>; certReq?: boolean; policy?: string } = {}): Buffer {
  return Buffer.from(
    new pkijs.TimeStampReq({
      version: 1,
      messageImprint: new pkijs.MessageImprint({
        hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '2.16.840.1.101.3.4.2.1' }),
        hashedMessage: new asn1js.OctetString({ valueHex: digest }),
      }),
      ...(opts.nonce ? { nonce: new asn1js.Integer({ valueHex: opts.nonce }) } : {}),
      ...(opts.certReq !== undefined ? { certReq: opts.certReq } : {}),
      ...(opts.policy ? { reqPolicy: opts.policy } : {}),
    })
      .toSchema()
      .toBER(false),
  );
}

function parseReply(der: Buffer): { status: number; signed: pkijs.SignedData; tst: pkijs.TSTInfo } {
  const resp = pkijs.TimeStampResp.fromBER(der);
  const signed = new pkijs.SignedData({ schema: resp.timeStampToken!.content });
  const eContent = signed.encapContentInfo.eContent!;
  assert.equal(eContent.idBlock.isConstructed, false, 'eContent is a primitive (DER) OCTET STRING');
  const tst = pkijs.TSTInfo.fromBER(eContent.valueBlock.valueHexView);
  return { status: resp.status.status, signed, tst };
}

describe('TSA (RFC 3161)', () => {
  const tmp = tempDir();
  let inst: SigstoreInstance;
  before(async () => {
    inst = await startInstance({ dataDir: join(tmp.dir, 'instance'), port: 0 });
  });
  after(async () => {
    await inst?.stop();
    tmp.cleanup();
  });

  it('answers a DER query: nonce echoed, certificate included on certReq, Sigstore policy', async () => {
    const data = randomBytes(64);
    const digest = createHash('sha256').update(data).digest() as Buffer<ArrayBuffer>;
    const nonce = Buffer.from('0123456789abcdef', 'hex') as Buffer<ArrayBuffer>;
    const res = await http('POST', inst.tsaUrl, query(digest, { nonce, certReq: true }), { 'Content-Type': 'application/timestamp-query' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/timestamp-reply');
    const { status, signed, tst } = parseReply(res.body);
    assert.equal(status, 0, 'granted');
    assert.equal(tst.policy, '1.3.6.1.4.1.57264.2');
    assert.ok(Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView).equals(digest));
    assert.ok(Buffer.from(tst.nonce!.valueBlock.valueHexView).equals(nonce), 'nonce echoed');
    assert.ok(Math.abs(tst.genTime.getTime() - Date.now()) < 5000);
    assert.equal(signed.certificates?.length, 1, 'the TSA certificate is included');
    const leaf = signed.certificates![0] as pkijs.Certificate;
    const ekuExt = leaf.extensions!.find((e) => e.extnID === '2.5.29.37')!;
    assert.equal(ekuExt.critical, true, 'EKU timeStamping is critical');
    const attrs = signed.signerInfos[0]!.signedAttrs!.attributes.map((a) => a.type).sort();
    assert.deepEqual(attrs, ['1.2.840.113549.1.9.16.2.47', '1.2.840.113549.1.9.3', '1.2.840.113549.1.9.4', '1.2.840.113549.1.9.5'].sort());

    // sigstore-js's RFC 3161 code accepts it (message imprint, message digest, signature).
    const chain = (inst.trustedRoot.timestampAuthorities as { certChain: { certificates: { rawBytes: string }[] } }[])[0]!.certChain.certificates;
    const leafKey = createPublicKey({ key: Buffer.from(leaf.subjectPublicKeyInfo.toSchema().toBER(false)), format: 'der', type: 'spki' });
    assert.equal(chain.length, 2, 'leaf and root in the trusted root');
    RFC3161Timestamp.parse(res.body as Buffer<ArrayBuffer>).verify(data, leafKey);
    assert.throws(() => RFC3161Timestamp.parse(res.body as Buffer<ArrayBuffer>).verify(Buffer.from('other'), leafKey));
  });

  it('leaves the certificates out without certReq, and takes the JSON form', async () => {
    const digest = createHash('sha256').update('x').digest() as Buffer<ArrayBuffer>;
    const res = await http('POST', inst.tsaUrl, query(digest), { 'Content-Type': 'application/timestamp-query' });
    const { signed, tst } = parseReply(res.body);
    assert.equal(signed.certificates, undefined);
    assert.equal(tst.nonce, undefined);
    const j = await http('POST', inst.tsaUrl, { artifactHash: digest.toString('base64'), hashAlgorithm: 'sha256', nonce: 42, certificates: true });
    assert.equal(j.status, 200);
    const r = parseReply(j.body);
    assert.equal(r.tst.nonce!.valueBlock.valueDec, 42);
    assert.equal(r.signed.certificates?.length, 1);
    const refused = await http('POST', inst.tsaUrl, query(digest, { policy: '1.2.3.4' }), { 'Content-Type': 'application/timestamp-query' });
    assert.equal(refused.status, 400);
    const chain = await http('GET', `${inst.tsaUrl}/certchain`);
    assert.equal((chain.text().match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
  });

  it('is accepted by openssl ts -verify', { skip: !hasOpenssl && 'openssl is not installed' }, async () => {
    const dir = tmp.dir;
    const dataPath = join(dir, 'data.bin');
    writeFileSync(dataPath, randomBytes(100));
    const q = spawnSync('openssl', ['ts', '-query', '-data', dataPath, '-sha256', '-cert', '-out', join(dir, 'q.tsq')]);
    assert.equal(q.status, 0, q.stderr.toString());
    const { readFileSync } = await import('node:fs');
    const res = await http('POST', inst.tsaUrl, readFileSync(join(dir, 'q.tsq')), { 'Content-Type': 'application/timestamp-query' });
    assert.equal(res.status, 200);
    writeFileSync(join(dir, 'r.tsr'), res.body);
    const chain = (inst.trustedRoot.timestampAuthorities as { certChain: { certificates: { rawBytes: string }[] } }[])[0]!.certChain.certificates;
    const pem = (b64: string) => `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
    writeFileSync(join(dir, 'root.pem'), pem(chain[1]!.rawBytes));
    const v = spawnSync('openssl', ['ts', '-verify', '-queryfile', join(dir, 'q.tsq'), '-in', join(dir, 'r.tsr'), '-CAfile', join(dir, 'root.pem')]);
    assert.equal(v.status, 0, `openssl ts -verify: ${v.stdout}${v.stderr}`);
    assert.match(v.stdout.toString(), /Verification: OK/);
  });
});
