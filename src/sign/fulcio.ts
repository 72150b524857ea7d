/**
 * Fulcio v2 client: asks for a short-lived signing certificate for the ephemeral key, with a
 * certificate signing request as the proof of possession (the key signs the request), and checks
 * what comes back before it is used: the leaf holds our key, is a code-signing certificate for
 * the token's identity, chains to a CA of the trusted root, and carries an SCT from a trusted CT
 * log that verifies.
 */
import { NetworkError, SigstoreError, VerificationError } from '../errors.js';
import { expectOk, request } from '../lib/http.js';
import { isObject } from '../lib/json.js';
import { Certificate } from '../lib/x509.js';
import type { TrustMaterial } from '../trust/trusted-root.js';
import { verifyChain } from '../verify/chain.js';
import { certificateIdentity, fulcioExtensions } from '../verify/extensions.js';
import { verifySCTs } from '../verify/sct.js';
import { bits, ctx, oid, pem, seq } from '../lib/der-write.js';
import { type ClientOptions, httpSettings } from './client.js';
import type { EphemeralKey } from './keys.js';
import type { ErrorCode } from '../errors.js';

/** What the signer needs of an identity token. */
export interface TokenLike {
  rawToken: string;
  issuer: string;
  /** The issuer behind a federating issuer, when different. */
  federatedIssuer?: string;
  claims: Readonly<Record<string, unknown>>;
}

/** A certificate issued and checked. */
export interface IssuedCertificate {
  certificate: Certificate;
  /** The chain Fulcio returned after the leaf (informative: trust comes from the trusted root). */
  chain: Certificate[];
  /** The certified identity (SAN) and issuer. */
  identity: string;
  issuer: string | undefined;
}

/** A PKCS#10 certification request for `key`, self-signed (the proof of possession). */
export function buildCsr(key: EphemeralKey): Buffer {
  const info = seq(Buffer.from([0x02, 0x01, 0x00]), seq(), key.spki, ctx(0));
  return seq(info, seq(oid(key.signatureAlgorithmOid)), bits(key.sign(info)));
}

/**
 * The identities (SANs) Fulcio can certify for this token, exactly: the `email` of a token
 * that has one (unless marked unverified), and nothing else; for CI tokens the workflow URI Fulcio builds (GitHub Actions:
 * `https://github.com/` + `job_workflow_ref`, or the token's server; GitLab: `https://` +
 * `ci_config_ref_uri`; Buildkite: its pipeline URI); otherwise the `sub` claim.
 */
export function expectedIdentities(token: TokenLike): string[] {
  const c = token.claims;
  const str = (k: string): string | undefined => (typeof c[k] === 'string' && (c[k] as string).length > 0 ? (c[k] as string) : undefined);
  // An email token is certified for its email only (Fulcio's email issuers).
  const email = str('email');
  if (email && c.email_verified !== false) return [email];
  const out: string[] = [];
  const jobWorkflowRef = str('job_workflow_ref');
  if (jobWorkflowRef) {
    out.push(`https://github.com/${jobWorkflowRef}`);
    const server = str('server_url');
    if (server && /^https:\/\/[^/]+$/.test(server)) out.push(`${server}/${jobWorkflowRef}`);
  }
  const gitlab = str('ci_config_ref_uri');
  if (gitlab) out.push(`https://${gitlab}`);
  const org = str('organization_slug');
  const pipeline = str('pipeline_slug');
  if (org && pipeline) out.push(`https://buildkite.com/${org}/${pipeline}`);
  const sub = str('sub');
  if (sub) out.push(sub);
  return [...new Set(out)];
}

/**
 * Whether the certificate's identity can come from this token: the OIDC issuer extension is the
 * token's issuer (or the one it federates), and the SAN is exactly one of
 * {@link expectedIdentities} (never a suffix, prefix or other claim of it). Returns why not.
 */
export function identityFromToken(identity: string, issuer: string | undefined, token: TokenLike): string | undefined {
  if (issuer === undefined) return `the certificate names no OIDC issuer (the identity token is from ${token.issuer})`;
  if (issuer !== token.issuer && issuer !== token.federatedIssuer) {
    return `the certificate is for issuer ${issuer}, the identity token is from ${token.issuer}`;
  }
  return expectedIdentities(token).includes(identity) ? undefined : `the certificate is for ${identity}, which is not the identity in the token`;
}

/**
 * Requests and checks a signing certificate from the Fulcio at `baseUrl` (`POST /api/v2/signingCert`).
 * Transient failures are retried by the HTTP layer; everything else throws, naming Fulcio.
 */
export async function requestCertificate(options: {
  baseUrl: string;
  token: TokenLike;
  key: EphemeralKey;
  trust: TrustMaterial;
  now?: () => Date;
  http?: ClientOptions;
}): Promise<IssuedCertificate> {
  const { baseUrl, token, key, trust } = options;
  const url = `${baseUrl.replace(/\/+$/, '')}/api/v2/signingCert`;
  const body = JSON.stringify({
    credentials: { oidcIdentityToken: token.rawToken },
    certificateSigningRequest: Buffer.from(pem(buildCsr(key), 'CERTIFICATE REQUEST')).toString('base64'),
  });
  const res = await request({
    method: 'POST',
    url,
    body,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    service: 'Fulcio',
    ...httpSettings(options.http),
  });
  expectOk(res, `Fulcio at ${baseUrl}`, 'the certificate request');
  const json = res.json<Record<string, unknown>>();
  const bad = (m: string): never => {
    throw new NetworkError('FULCIO_RESPONSE_INVALID', `Fulcio at ${baseUrl} answered with an unusable certificate response: ${m}`);
  };
  if (!isObject(json)) bad('not a JSON object');
  if (isObject(json.signedCertificateDetachedSct)) bad('it has a detached SCT; only certificates with an embedded SCT are supported');
  const embedded = json.signedCertificateEmbeddedSct;
  const pems = isObject(embedded) && isObject(embedded.chain) ? embedded.chain.certificates : undefined;
  if (!Array.isArray(pems) || pems.length === 0 || !pems.every((p) => typeof p === 'string')) bad('signedCertificateEmbeddedSct.chain.certificates is missing');
  let certs: Certificate[];
  try {
    certs = (pems as string[]).map((p) => Certificate.fromPEM(p));
  } catch (e) {
    return bad(`a certificate is malformed (${(e as Error).message})`);
  }
  const leaf = certs[0]!;
  return checkIssued(leaf, certs.slice(1), { baseUrl, token, key, trust, now: options.now?.() ?? new Date() });
}

/** The checks on an issued certificate, before it is used to sign anything. */
export function checkIssued(
  leaf: Certificate,
  chain: Certificate[],
  o: { baseUrl: string; token: TokenLike; key: EphemeralKey; trust: TrustMaterial; now: Date },
): IssuedCertificate {
  const fail = (code: ErrorCode, m: string, cause?: unknown): never => {
    throw new SigstoreError(code, `Fulcio at ${o.baseUrl} issued an unusable certificate: ${m}`, cause === undefined ? undefined : { cause });
  };
  if (!leaf.spki.equals(o.key.spki)) fail('FULCIO_WRONG_KEY', 'it is not for the key that was submitted');
  // A small clock difference with Fulcio must not make a fresh certificate "not yet valid".
  const skew = leaf.notBefore.getTime() - o.now.getTime();
  const at = skew > 0 && skew <= 60_000 ? leaf.notBefore : o.now;
  let issuerCert: Certificate;
  try {
    const verified = verifyChain(leaf, o.trust, [at]);
    issuerCert = verified.path[1]!;
  } catch (e) {
    return fail('FULCIO_CERTIFICATE_UNTRUSTED', `it does not verify against the trusted root ${o.trust.source} (${(e as Error).message})`, e);
  }
  try {
    verifySCTs(leaf, issuerCert, o.trust);
  } catch (e) {
    if (!(e instanceof VerificationError)) throw e;
    return fail('FULCIO_SCT_INVALID', `its embedded SCT does not verify (${e.message})`, e);
  }
  const identity = certificateIdentity(leaf) ?? '';
  const issuer = fulcioExtensions(leaf).issuer;
  if (!identity) fail('FULCIO_NO_IDENTITY', 'it names no identity');
  const mismatch = identityFromToken(identity, issuer, o.token);
  if (mismatch) fail('FULCIO_WRONG_IDENTITY', mismatch);
  return { certificate: leaf, chain, identity, issuer };
}
