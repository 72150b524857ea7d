/**
 * Bad requests get a 4xx with a clear message, and nothing is appended: expired, unsigned,
 * foreign-key, wrong-audience and wrong-issuer tokens, bad proofs of possession and CSRs
 * (Fulcio); malformed entries and signatures that do not verify (Rekor v1 and v2); garbage
 * timestamp queries (TSA); bad OAuth requests (OIDC).
 */
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, generateKeyPairSync, sign, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OidcProvider, type SigstoreInstance, startInstance } from '../../src/instance/index.js';
import { http, tempDir } from './helpers.js';

const EMAIL = 'bob@example.com';

function b64(b: Buffer | string): string {
  return Buffer.from(b).toString('base64');
}

describe('bad requests', () => {
  const tmp = tempDir();
  let inst: SigstoreInstance;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
  let sizes: { v1: number; v2: number; ct: number };

  before(async () => {
    inst = await startInstance({ dataDir: tmp.dir, port: 0, identity: EMAIL });
    sizes = { v1: inst.rekorV1.log.size, v2: inst.rekorV2.log.size, ct: inst.ctlog.size };
  });
  after(async () => {
    await inst?.stop();
    tmp.cleanup();
  });

  async function expectError(res: Promise<{ status: number; text(): string; json<T>(): T }>, status: number, message: RegExp): Promise<void> {
    const r = await res;
    assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text()}`);
    const body = r.json<{ message?: string; error_description?: string; error?: string }>();
    const msg = body.message ?? `${body.error}: ${body.error_description}`;
    assert.match(msg, message);
  }

  const signingCert = (body: unknown) => http('POST', `${inst.url}/api/v2/signingCert`, body as object);
  const keyRequest = (token: string, proof = sign('sha256', Buffer.from(EMAIL), privateKey)) => ({
    credentials: { oidcIdentityToken: token },
    publicKeyRequest: { publicKey: { algorithm: 'ECDSA', content: pem }, proofOfPossession: b64(proof) },
  });

  describe('Fulcio', () => {
    it('issues a certificate for a good request, by public key and by CSR', async () => {
      const r = await signingCert(keyRequest(await inst.token()));
      assert.equal(r.status, 201, r.text());
      const chain = r.json<{ signedCertificateEmbeddedSct: { chain: { certificates: string[] } } }>().signedCertificateEmbeddedSct.chain.certificates;
      assert.equal(chain.length, 3, 'leaf, intermediate, root');

      // A CSR (PKCS#10) made with pkijs and WebCrypto.
      const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
      const csr = new pkijs.CertificationRequest();
      await csr.subjectPublicKeyInfo.importKey(keys.publicKey);
      await csr.sign(keys.privateKey, 'SHA-256');
      const csrPem = `-----BEGIN CERTIFICATE REQUEST-----\n${b64(Buffer.from(csr.toSchema().toBER(false)))}\n-----END CERTIFICATE REQUEST-----\n`;
      const c = await signingCert({ credentials: { oidcIdentityToken: await inst.token() }, certificateSigningRequest: b64(csrPem) });
      assert.equal(c.status, 201, c.text());
      const leafPem = c.json<{ signedCertificateEmbeddedSct: { chain: { certificates: string[] } } }>().signedCertificateEmbeddedSct.chain.certificates[0]!;
      const leaf = pkijs.Certificate.fromBER(Buffer.from(leafPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
      const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
      assert.ok(Buffer.from(leaf.subjectPublicKeyInfo.toSchema().toBER(false)).equals(spki), 'the certificate certifies the CSR key');

      // Tampered CSR signature.
      const der = Buffer.from(csr.toSchema().toBER(false));
      der[der.length - 5]! ^= 0x01;
      await expectError(signingCert({ credentials: { oidcIdentityToken: await inst.token() }, certificateSigningRequest: b64(der) }), 400, /CSR signature does not verify/);
      await expectError(signingCert({ credentials: { oidcIdentityToken: await inst.token() }, certificateSigningRequest: b64('garbage') }), 400, /not a valid CSR/);
      sizes.ct = inst.ctlog.size;
    });

    it('refuses expired, unsigned, foreign, wrong-audience and wrong-issuer tokens (401)', async () => {
      await expectError(signingCert(keyRequest(await inst.token({ ttl: -60 }))), 401, /expired/);
      const good = await inst.token();
      const [h, p] = good.split('.');
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
      await expectError(signingCert(keyRequest(none)), 401, /unsigned|algorithm/);
      const forged = `${h}.${p}.${Buffer.from(sign('sha256', Buffer.from(`${h}.${p}`), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, )).toString('base64url')}`;
      await expectError(signingCert(keyRequest(forged)), 401, /signature/);
      await expectError(signingCert(keyRequest(await inst.token({ audience: 'not-sigstore' }))), 401, /audience/);
      // Same key, another issuer: the issuer check refuses it.
      const oidcKey = createPrivateKey(readFileSync(join(tmp.dir, 'keys', 'oidc.pem')));
      const evil = await new OidcProvider(oidcKey, 'https://evil.example.com', EMAIL).mint();
      await expectError(signingCert(keyRequest(evil)), 401, /issuer/);
      await expectError(signingCert(keyRequest('not a jwt')), 401, /not a JWT/);
      await expectError(signingCert(keyRequest(await inst.token({ issuedAt: new Date(Date.now() + 3600_000) }))), 401, /not valid yet/);
    });

    it('refuses bad proofs of possession and malformed requests (400)', async () => {
      const token = await inst.token();
      await expectError(signingCert(keyRequest(token, sign('sha256', Buffer.from('mallory@example.com'), privateKey))), 400, /proof of possession does not verify/);
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      await expectError(signingCert(keyRequest(token, sign('sha256', Buffer.from(EMAIL), other))), 400, /proof of possession/);
      await expectError(http('POST', `${inst.url}/api/v2/signingCert`, '{not json', { 'Content-Type': 'application/json' }), 400, /not valid JSON/);
      await expectError(signingCert({}), 400, /oidcIdentityToken is required/);
      await expectError(signingCert({ credentials: { oidcIdentityToken: token } }), 400, /publicKeyRequest or certificateSigningRequest/);
      await expectError(
        signingCert({ credentials: { oidcIdentityToken: token }, publicKeyRequest: { publicKey: { content: 'nope' }, proofOfPossession: 'AA==' } }),
        400,
        /not a PEM public key/,
      );
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
      await expectError(
        signingCert({
          credentials: { oidcIdentityToken: token },
          publicKeyRequest: { publicKey: { content: weak.publicKey.export({ format: 'pem', type: 'spki' }) }, proofOfPossession: b64(sign('sha256', Buffer.from(EMAIL), weak.privateKey)) },
        }),
        400,
        /at least 2048/,
      );
    });

    it('logged no precertificate for any refused request', () => {
      assert.equal(inst.ctlog.size, sizes.ct);
    });
  });

  describe('Rekor v1', () => {
    const entries = (body: unknown) => http('POST', `${inst.url}/api/v1/log/entries`, body as object);
    const data = Buffer.from('some artifact');
    const digest = createHash('sha256').update(data).digest('hex');
    const hashed = (over: Record<string, unknown> = {}, sig = sign('sha256', data, privateKey)) => ({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: { data: { hash: { algorithm: 'sha256', value: digest } }, signature: { content: b64(sig), publicKey: { content: b64(pem) } } },
      ...over,
    });
    const dsse = (sig: Buffer, verifiers = [b64(pem)], envelope?: string) => ({
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        proposedContent: {
          envelope: envelope ?? JSON.stringify({ payloadType: 'text/plain', payload: b64('hi'), signatures: [{ keyid: '', sig: b64(sig) }] }),
          verifiers,
        },
      },
    });

    it('refuses malformed entries and signatures that do not verify', async () => {
      await expectError(http('POST', `${inst.url}/api/v1/log/entries`, 'nope', { 'Content-Type': 'application/json' }), 400, /not valid JSON/);
      await expectError(entries({ ...hashed(), kind: 'rekord' }), 400, /unsupported entry kind "rekord"/);
      await expectError(entries({ ...hashed(), apiVersion: '0.0.2' }), 400, /apiVersion "0.0.2"/);
      await expectError(entries(hashed({}, sign('sha256', Buffer.from('other artifact'), privateKey))), 400, /does not verify/);
      const bad = hashed();
      (bad.spec.data.hash as { value: string }).value = 'abcd';
      await expectError(entries(bad), 400, /not a hex sha256 digest/);
      const badSig = hashed();
      badSig.spec.signature.content = '!!!';
      await expectError(entries(badSig), 400, /not valid base64/);
      const badKey = hashed();
      badKey.spec.signature.publicKey.content = b64('not a pem');
      await expectError(entries(badKey), 400, /PEM certificate or public key/);
      await expectError(entries({ apiVersion: '0.0.1', kind: 'hashedrekord' }), 400, /spec must be a JSON object/);

      const pae = Buffer.from('DSSEv1 10 text/plain 2 hi');
      await expectError(entries(dsse(sign('sha256', Buffer.from('DSSEv1 10 text/plain 2 ho'), privateKey))), 400, /does not verify with any of the verifiers/);
      await expectError(entries(dsse(sign('sha256', pae, privateKey), [])), 400, /verifiers must be a non-empty array/);
      await expectError(entries(dsse(sign('sha256', pae, privateKey), undefined, '{bad json')), 400, /envelope is not valid JSON/);
      await expectError(
        entries({ apiVersion: '0.0.1', kind: 'dsse', spec: { ...dsse(sign('sha256', pae, privateKey)).spec, payloadHash: { algorithm: 'sha256', value: 'aa' } } }),
        400,
        /computed by the log/,
      );
    });

    it('answers unknown entries with 404 and bad lookups with 400', async () => {
      await expectError(http('GET', `${inst.url}/api/v1/log/entries/${'ab'.repeat(32)}`), 404, /no entry/);
      await expectError(http('GET', `${inst.url}/api/v1/log/entries/xyz`), 400, /neither a UUID/);
      await expectError(http('GET', `${inst.url}/api/v1/log/entries?logIndex=99999`), 404, /no entry at log index/);
      await expectError(http('GET', `${inst.url}/api/v1/log/entries?logIndex=-1`), 400, /non-negative integer/);
      await expectError(http('GET', `${inst.url}/api/v1/log/proof?firstSize=5&lastSize=2`), 400, /firstSize/);
      await expectError(http('POST', `${inst.url}/api/v1/log/entries/retrieve`, { logIndexes: 'x' }), 400, /must be an array/);
      await expectError(http('DELETE', `${inst.url}/api/v1/log/entries`), 405, /not allowed/);
    });
  });

  describe('Rekor v2', () => {
    const entries = (body: unknown) => http('POST', `${inst.url}/api/v2/log/entries`, body as object);
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    const data = Buffer.from('v2 artifact');
    const digest = createHash('sha256').update(data).digest();
    const verifier = (keyDetails = 'PKIX_ECDSA_P256_SHA_256') => ({ publicKey: { rawBytes: b64(spki) }, keyDetails });
    const hashed = (sig = sign('sha256', data, privateKey), d = digest, v = verifier()) => ({
      hashedRekordRequestV002: { digest: b64(d), signature: { content: b64(sig), verifier: v } },
    });

    it('refuses malformed requests and signatures that do not verify', async () => {
      await expectError(entries({}), 400, /exactly one hashedRekordRequestV002/);
      await expectError(entries({ ...hashed(), dsseRequestV002: {} }), 400, /exactly one hashedRekordRequestV002/);
      await expectError(entries({ intotoRequestV002: {} }), 400, /unsupported request/);
      await expectError(entries(hashed(sign('sha256', Buffer.from('x'), privateKey))), 400, /does not verify/);
      await expectError(entries(hashed(undefined, digest.subarray(0, 20))), 400, /must be a sha256 digest/);
      await expectError(entries(hashed(undefined, undefined, verifier('PKIX_ECDSA_P384_SHA_384'))), 400, /does not match/);
      await expectError(entries(hashed(undefined, undefined, verifier('PKIX_BOGUS'))), 400, /not an allowed signing algorithm/);
      await expectError(entries(hashed(undefined, undefined, verifier('PKIX_ED25519_PH'))), 400, /not an allowed signing algorithm/);
      await expectError(entries(hashed(undefined, undefined, { publicKey: { rawBytes: b64('junk') }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' })), 400, /SubjectPublicKeyInfo/);
    });

    it('refuses pure Ed25519 (as rekor-tiles since August 2026)', async () => {
      const ed = generateKeyPairSync('ed25519');
      await expectError(
        entries(hashed(sign(null, data, ed.privateKey), digest, { publicKey: { rawBytes: b64(ed.publicKey.export({ format: 'der', type: 'spki' })) }, keyDetails: 'PKIX_ED25519' })),
        400,
        /PKIX_ED25519 is not allowed: this log does not accept pure Ed25519/,
      );
    });

    it('refuses a well-formed dsseRequestV002 with 400 (rekor-tiles dropped DSSE entries)', async () => {
      const pae = Buffer.from('DSSEv1 10 text/plain 2 hi');
      const res = await http('POST', `${inst.url}/api/v2/log/entries`, {
        dsseRequestV002: {
          envelope: { payload: b64('hi'), payloadType: 'text/plain', signatures: [{ sig: b64(sign('sha256', pae, privateKey)), keyid: '' }] },
          verifiers: [verifier()],
        },
      });
      assert.equal(res.status, 400);
      assert.match(res.text(), /dsseRequestV002 is not supported: this log takes hashedrekord entries only; log a DSSE envelope as a hashedRekordRequestV002/);
      // The same envelope as a hashedrekord over the SHA-256 of its PAE is accepted.
      const ok = await entries(hashed(sign('sha256', pae, privateKey), createHash('sha256').update(pae).digest()));
      assert.equal(ok.status, 201);
      sizes.v2++;
    });

    it('answers missing or malformed tiles with 404', async () => {
      await expectError(http('GET', `${inst.url}/api/v2/tile/0/000`), 404, /not available/);
      await expectError(http('GET', `${inst.url}/api/v2/tile/entries/x1/2`), 404, /malformed tile index/);
    });

    it('appended nothing to either log', () => {
      assert.equal(inst.rekorV1.log.size, sizes.v1);
      assert.equal(inst.rekorV2.log.size, sizes.v2);
    });
  });

  describe('TSA', () => {
    const query = (digest: Buffer, oid = '2.16.840.1.101.3.4.2.1') =>
      Buffer.from(
        new pkijs.TimeStampReq({
          version: 1,
          messageImprint: new pkijs.MessageImprint({
            hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: oid }),
            hashedMessage: new asn1js.OctetString({ valueHex: digest }),
          }),
          certReq: true,
        })
          .toSchema()
          .toBER(false),
      );
    const tsq = (body: Buffer | string) => http('POST', inst.tsaUrl, Buffer.from(body), { 'Content-Type': 'application/timestamp-query' });

    it('refuses garbage timestamp queries with 400 and a clear message', async () => {
      await expectError(tsq('garbage, not DER'), 400, /invalid timestamp query/);
      await expectError(tsq(''), 400, /empty/);
      await expectError(tsq(Buffer.concat([query(Buffer.alloc(32)), Buffer.from([0])])), 400, /single DER structure/);
      await expectError(tsq(query(Buffer.alloc(20))), 400, /must be 32 bytes/);
      await expectError(tsq(query(Buffer.alloc(20), '1.3.14.3.2.26')), 400, /unsupported hash algorithm/);
      await expectError(tsq(Buffer.from(new asn1js.Sequence({ value: [new asn1js.Integer({ value: 1 })] }).toBER(false))), 400, /not a TimeStampReq/);
      await expectError(http('POST', inst.tsaUrl, { hashAlgorithm: 'sha256' }), 400, /artifactHash/);
      await expectError(http('POST', inst.tsaUrl, { artifactHash: b64(Buffer.alloc(32)), hashAlgorithm: 'md5' }), 400, /hashAlgorithm/);
      await expectError(http('POST', inst.tsaUrl, 'x', { 'Content-Type': 'text/plain' }), 415, /Content-Type/);
      const ok = await tsq(query(Buffer.alloc(32)));
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['content-type'], 'application/timestamp-reply');
    });
  });

  describe('OIDC', () => {
    it('answers OAuth errors in the OAuth shape', async () => {
      const tokenUrl = `${inst.issuer}/token`;
      const form = (p: Record<string, string>) => http('POST', tokenUrl, new URLSearchParams(p).toString(), { 'Content-Type': 'application/x-www-form-urlencoded' });
      await expectError(form({ grant_type: 'password' }), 400, /unsupported_grant_type/);
      await expectError(form({ grant_type: 'authorization_code', code: 'nope', redirect_uri: 'http://127.0.0.1:1/cb', code_verifier: 'a'.repeat(43) }), 400, /invalid_grant/);
      await expectError(form({ grant_type: 'client_credentials', ttl: '0' }), 400, /invalid_request: ttl/);
      await expectError(form({ grant_type: 'client_credentials', identity: 'not an identity' }), 400, /invalid_request/);
      await expectError(
        http('GET', `${inst.issuer}/auth?response_type=code&client_id=sigstore&redirect_uri=http://127.0.0.1:1/cb&scope=openid`),
        400,
        /PKCE is required/,
      );
      await expectError(
        http('GET', `${inst.issuer}/auth?response_type=code&client_id=sigstore&redirect_uri=https://evil.example/cb&scope=openid&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`),
        400,
        /redirect_uri/,
      );
    });
  });
});
