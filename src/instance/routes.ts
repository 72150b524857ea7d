/**
 * The local instance's HTTP API: every service's routes on one router (OIDC, Fulcio, the CT
 * log, Rekor v1 and v2, the TSA and the TUF repository), as the real services name them.
 */
import type { SigstoreInstance } from './instance.js';
import { bytes, json, Router, text } from './server.js';
import { parseJsonTimestampRequest, parseTimestampQuery } from './tsa.js';
import { HttpError } from './util.js';

/** The routes of `inst`'s services. Rekor v2 also answers under its signing URL when that differs. */
export function instanceRoutes(inst: SigstoreInstance): Router {
  const r = new Router();
  const oidc = inst.oidc;
  r.add('GET', '/', () =>
    json({
      name: 'sigstore-ts local instance',
      url: inst.url,
      oidcIssuer: inst.issuer,
      fulcio: inst.url,
      rekor: { v1: inst.url, v2: inst.url },
      tsa: inst.tsaUrl,
      ctlog: inst.ctUrl,
      tuf: inst.tufUrl,
    }),
  );
  // OIDC
  r.add('GET', '/oauth2/.well-known/openid-configuration', () => json(oidc.discovery()));
  r.add('GET', '/oauth2/keys', async () => json(await oidc.jwks()));
  r.add('GET', '/oauth2/auth', (req) => text(oidc.loginPage(req.query), 'text/html; charset=utf-8'));
  r.add('POST', '/oauth2/auth', (req) => {
    const out = oidc.submitLogin(req.form());
    if ('redirect' in out) return { status: 302, headers: { Location: out.redirect }, body: '' };
    return text(out.html, 'text/html; charset=utf-8');
  });
  r.add('POST', '/oauth2/token', async (req) => json(await oidc.token(req.form()), 200, { 'Cache-Control': 'no-store' }));
  // Fulcio
  r.add('POST', '/api/v2/signingCert', async (req) => json(await inst.fulcio.signingCert(req.json()), 201));
  r.add('GET', '/api/v2/trustBundle', () => json(inst.fulcio.trustBundle()));
  r.add('GET', '/api/v2/configuration', () => json(inst.fulcio.configuration()));
  r.add('GET', '/api/v1/rootCert', () => text(inst.fulcio.chainPem.join(''), 'application/pem-certificate-chain'));
  // CT log
  r.add('POST', '/ct/v1/add-pre-chain', async (req) => json(await inst.ctlog.handleAddPreChain(req.json())));
  r.add('GET', '/ct/v1/get-sth', () => json(inst.ctlog.sth()));
  // Rekor v1
  r.add('POST', '/api/v1/log/entries', async (req) => {
    const { entryId, response } = await inst.rekorV1.create(req.json());
    return json(response, 201, { Location: `/api/v1/log/entries/${entryId}`, ETag: entryId });
  });
  r.add('GET', '/api/v1/log/entries', (req) => json(inst.rekorV1.getByIndex(req.query.get('logIndex'))));
  r.add('POST', '/api/v1/log/entries/retrieve', async (req) => json(await inst.rekorV1.retrieve(req.json())));
  r.add('GET', /^\/api\/v1\/log\/entries\/([^/]+)$/, (_req, [id]) => json(inst.rekorV1.getByUuid(id!)));
  r.add('GET', '/api/v1/log', () => json(inst.rekorV1.info()));
  r.add('GET', '/api/v1/log/publicKey', () => text(inst.rekorV1.publicKeyPem, 'application/x-pem-file'));
  r.add('GET', '/api/v1/log/proof', (req) => json(inst.rekorV1.consistency(req.query)));
  // Rekor v2
  const signingPath = inst.rekorV2SigningUrl.slice(inst.url.length);
  for (const prefix of ['', ...(signingPath ? [signingPath] : [])]) {
    r.add('POST', `${prefix}/api/v2/log/entries`, async (req) => json(await inst.rekorV2.create(req.json()), 201));
    r.add('GET', `${prefix}/api/v2/checkpoint`, () => text(inst.rekorV2.checkpoint()));
  }
  r.add('GET', /^\/api\/v2\/tile\/entries\/(.+)$/, (_req, [n]) => bytes(inst.rekorV2.entryBundle(n!), 'application/octet-stream'));
  r.add('GET', /^\/api\/v2\/tile\/(\d+)\/(.+)$/, (_req, [l, n]) => bytes(inst.rekorV2.tile(Number(l), n!), 'application/octet-stream'));
  // TSA
  r.add('POST', '/api/v1/timestamp', (req) => {
    let tsr: Buffer;
    if (req.contentType === 'application/json') tsr = inst.tsa.timestamp(parseJsonTimestampRequest(req.json()));
    else if (req.contentType === 'application/timestamp-query') tsr = inst.tsa.timestamp(parseTimestampQuery(req.body));
    else throw new HttpError(415, 'Content-Type must be application/timestamp-query (DER TimeStampReq) or application/json');
    return bytes(tsr, 'application/timestamp-reply');
  });
  r.add('GET', '/api/v1/timestamp/certchain', () => text(inst.tsa.certChainPem(), 'application/pem-certificate-chain'));
  // TUF
  r.add('GET', /^\/tuf\/(.+)$/, (_req, [p]) => {
    const data = inst.tuf.serve(p!);
    if (!data) throw new HttpError(404, `no TUF file ${p}`);
    return bytes(data, 'application/json');
  });
  return r;
}
