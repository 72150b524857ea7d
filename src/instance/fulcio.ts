/**
 * Fulcio v2: issues short-lived code-signing certificates for OIDC identities.
 *
 * - `POST /api/v2/signingCert`: checks the ID token (signature, issuer, audience, expiry), then the
 *   proof of possession (a signature over the token's email, or its subject, with the submitted
 *   public key) or the CSR's self-signature; issues a precertificate, gets an SCT from the CT
 *   log for it, and returns the final certificate with the SCT embedded.
 * - `GET /api/v2/trustBundle`, `GET /api/v2/configuration`.
 *
 * Leaf: validity 10 minutes, empty subject, KeyUsage digitalSignature (critical), EKU codeSigning,
 * SAN email or URI (critical), the Sigstore extensions 1.3.6.1.4.1.57264.1.1-1.22 mapped from
 * the token claims, and the SCT list.
 */
import { createPublicKey, type KeyObject, verify as nodeVerify } from 'node:crypto';
import * as pkijs from 'pkijs';
import type { JWTPayload } from 'jose';
import { verifySignature } from '../lib/signature.js';
import type { CtLog } from './ctlog.js';
import { sctListExtensionValue } from './ctlog.js';
import type { OidcProvider } from './oidc.js';
import {
  authorityKeyIdExt,
  buildTbs,
  type DnSpec,
  ext,
  extKeyUsageExt,
  keyUsageExt,
  OIDS,
  randomSerial,
  rawExt,
  sanExt,
  signCertificate,
  subjectKeyIdExt,
  utf8Ext,
} from './pki.js';
import { spki } from './keys.js';
import { badRequest, fromPem, isObj, toPem } from './util.js';

export const LEAF_VALIDITY_MS = 10 * 60 * 1000;
const SIGSTORE = '1.3.6.1.4.1.57264.1';

export interface FulcioOptions {
  root: Buffer;
  intermediate: Buffer;
  intermediateKey: KeyObject;
  intermediateDn: DnSpec;
  ctlog: CtLog;
  oidc: OidcProvider;
}

interface Subject {
  san: { kind: 'email' | 'uri'; value: string };
  /** What the proof of possession signs. */
  challenge: string;
  extensions: pkijs.Extension[];
}

function claim(p: JWTPayload, name: string): string | undefined {
  const v = p[name];
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** Maps verified token claims to the certificate subject and Sigstore extensions. */
export function subjectFromClaims(p: JWTPayload): Subject {
  const iss = p.iss!;
  const extensions = [rawExt(`${SIGSTORE}.1`, iss)];
  const v2: pkijs.Extension[] = [utf8Ext(`${SIGSTORE}.8`, iss)];
  const email = claim(p, 'email');
  if (email !== undefined) {
    if (p.email_verified !== true) badRequest('the identity token has an email claim but email_verified is not true');
    return { san: { kind: 'email', value: email }, challenge: email, extensions: [...extensions, ...v2] };
  }
  const sub = claim(p, 'sub');
  if (!sub) badRequest('the identity token has neither an email nor a subject claim');
  const jobWorkflowRef = claim(p, 'job_workflow_ref');
  if (jobWorkflowRef !== undefined) {
    // GitHub Actions-style claims (token.actions.githubusercontent.com).
    const server = claim(p, 'server_url') ?? 'https://github.com';
    const c = (n: string) => claim(p, n);
    const raw: [number, string | undefined][] = [
      [2, c('event_name')],
      [3, c('sha')],
      [4, c('workflow')],
      [5, c('repository')],
      [6, c('ref')],
    ];
    for (const [n, val] of raw) if (val !== undefined) extensions.push(rawExt(`${SIGSTORE}.${n}`, val));
    const runUri =
      c('repository') && c('run_id') && c('run_attempt') ? `${server}/${c('repository')}/actions/runs/${c('run_id')}/attempts/${c('run_attempt')}` : undefined;
    const mapped: [number, string | undefined][] = [
      [9, `${server}/${jobWorkflowRef}`],
      [10, c('job_workflow_sha')],
      [11, c('runner_environment')],
      [12, c('repository') && `${server}/${c('repository')}`],
      [13, c('sha')],
      [14, c('ref')],
      [15, c('repository_id')],
      [16, c('repository_owner') && `${server}/${c('repository_owner')}`],
      [17, c('repository_owner_id')],
      [18, c('workflow_ref') && `${server}/${c('workflow_ref')}`],
      [19, c('workflow_sha')],
      [20, c('event_name')],
      [21, runUri],
      [22, c('repository_visibility')],
    ];
    for (const [n, val] of mapped) if (val !== undefined) v2.push(utf8Ext(`${SIGSTORE}.${n}`, val));
    return { san: { kind: 'uri', value: `${server}/${jobWorkflowRef}` }, challenge: sub, extensions: [...extensions, ...v2] };
  }
  try {
    new URL(sub);
  } catch {
    badRequest(`the identity token's subject ${JSON.stringify(sub)} is not a URI and there is no email claim`);
  }
  return { san: { kind: 'uri', value: sub }, challenge: sub, extensions: [...extensions, ...v2] };
}

/** Refuses keys Fulcio would not certify. */
function checkKey(key: KeyObject): void {
  const t = key.asymmetricKeyType;
  if (t === 'ec') {
    const c = key.asymmetricKeyDetails?.namedCurve;
    if (!['prime256v1', 'secp384r1', 'secp521r1'].includes(c ?? '')) badRequest(`unsupported EC curve ${c}`);
  } else if (t === 'rsa') {
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) badRequest('RSA keys must be at least 2048 bits');
  } else if (t !== 'ed25519') {
    badRequest(`unsupported public key type ${t}`);
  }
}

/** Checks a proof of possession: a signature over `challenge` by `key`. */
function checkProof(key: KeyObject, challenge: string, proof: Buffer): boolean {
  const data = Buffer.from(challenge, 'utf8');
  try {
    if (key.asymmetricKeyType === 'ed25519') return nodeVerify(null, data, key, proof);
    for (const h of ['sha256', 'sha384', 'sha512']) if (nodeVerify(h, data, key, proof)) return true;
  } catch {
    return false;
  }
  return false;
}

function pemOrDer(bytes: Buffer, label: string): Buffer {
  const text = bytes.toString('utf8');
  if (text.includes('-----BEGIN')) {
    const block = fromPem(text).find((b) => b.label.includes(label));
    if (!block) badRequest(`expected a PEM ${label}`);
    return block.der;
  }
  return bytes;
}

export class Fulcio {
  constructor(private readonly opts: FulcioOptions) {}

  get chainPem(): string[] {
    return [toPem(this.opts.intermediate, 'CERTIFICATE'), toPem(this.opts.root, 'CERTIFICATE')];
  }

  /** POST /api/v2/signingCert */
  async signingCert(body: unknown): Promise<Record<string, unknown>> {
    if (!isObj(body)) badRequest('request body must be a JSON object');
    const creds = body.credentials;
    if (!isObj(creds) || typeof creds.oidcIdentityToken !== 'string' || creds.oidcIdentityToken === '') {
      badRequest('credentials.oidcIdentityToken is required');
    }
    const payload = await this.opts.oidc.verify(creds.oidcIdentityToken as string);
    const subject = subjectFromClaims(payload);

    let publicKeyDer: Buffer;
    if (body.publicKeyRequest !== undefined && body.certificateSigningRequest !== undefined) {
      badRequest('send either publicKeyRequest or certificateSigningRequest, not both');
    }
    if (isObj(body.publicKeyRequest)) {
      const pkr = body.publicKeyRequest;
      const pk = pkr.publicKey;
      if (!isObj(pk) || typeof pk.content !== 'string' || pk.content === '') badRequest('publicKeyRequest.publicKey.content (PEM) is required');
      let key: KeyObject;
      try {
        key = createPublicKey(pk.content as string);
      } catch {
        badRequest('publicKeyRequest.publicKey.content is not a PEM public key');
      }
      checkKey(key);
      if (typeof pkr.proofOfPossession !== 'string' || pkr.proofOfPossession === '') badRequest('publicKeyRequest.proofOfPossession is required');
      const proof = Buffer.from(pkr.proofOfPossession as string, 'base64');
      if (!checkProof(key, subject.challenge, proof)) {
        badRequest(`proof of possession does not verify: it must be a signature over ${JSON.stringify(subject.challenge)} with the submitted key`);
      }
      publicKeyDer = key.export({ format: 'der', type: 'spki' });
    } else if (typeof body.certificateSigningRequest === 'string' && body.certificateSigningRequest !== '') {
      publicKeyDer = this.checkCsr(body.certificateSigningRequest);
    } else {
      badRequest('publicKeyRequest or certificateSigningRequest is required');
    }
    const chain = await this.issue(publicKeyDer, subject);
    return { signedCertificateEmbeddedSct: { chain: { certificates: chain.map((c) => toPem(c, 'CERTIFICATE')) } } };
  }

  private checkCsr(value: string): Buffer {
    // base64 of a PEM CSR (what clients send), base64 of DER, or a bare PEM.
    const bytes = value.includes('-----BEGIN') ? Buffer.from(value, 'utf8') : Buffer.from(value, 'base64');
    const der = pemOrDer(bytes, 'CERTIFICATE REQUEST');
    let csr: pkijs.CertificationRequest;
    try {
      csr = pkijs.CertificationRequest.fromBER(der);
    } catch (e) {
      badRequest(`certificateSigningRequest is not a valid CSR (${(e as Error).message})`);
    }
    const spkiDer = Buffer.from(csr.subjectPublicKeyInfo.toSchema().toBER(false));
    let key: KeyObject;
    try {
      key = createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
    } catch {
      badRequest('the CSR holds an unsupported public key');
    }
    checkKey(key);
    const sig = Buffer.from(csr.signatureValue.valueBlock.valueHexView);
    if (!verifySignature(key, Buffer.from(csr.tbsView), sig, csr.signatureAlgorithm.algorithmId)) {
      badRequest('the CSR signature does not verify with its public key');
    }
    return spkiDer;
  }

  /** Issues the leaf (precertificate, SCT, final certificate) and returns [leaf, intermediate, root]. */
  async issue(publicKeyDer: Buffer, subject: Subject): Promise<Buffer[]> {
    const { intermediate, intermediateKey, intermediateDn, root, ctlog } = this.opts;
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const extensions = [
      keyUsageExt([0]),
      extKeyUsageExt([OIDS.codeSigning], false),
      subjectKeyIdExt(publicKeyDer),
      authorityKeyIdExt(spki(intermediateKey)),
      sanExt(subject.san.kind, subject.san.value, true),
      ...subject.extensions,
    ];
    const poison = ext(OIDS.ctPoison, true, Buffer.from([0x05, 0x00]));
    const spec = {
      serial: randomSerial(),
      subject: {},
      issuer: intermediateDn,
      notBefore: now,
      notAfter: new Date(now.getTime() + LEAF_VALIDITY_MS),
      spki: publicKeyDer,
      extensions: [...extensions, poison],
      signer: intermediateKey,
    };
    const precert = signCertificate(buildTbs(spec), intermediateKey);
    const sct = await ctlog.addPreChain([precert, intermediate, root]);
    const final = buildTbs({ ...spec, extensions: [...extensions, ext(OIDS.sctList, false, sctListExtensionValue([sct]))] });
    return [signCertificate(final, intermediateKey), intermediate, root];
  }

  /** GET /api/v2/trustBundle */
  trustBundle(): Record<string, unknown> {
    return { chains: [{ certificates: this.chainPem }] };
  }

  /** GET /api/v2/configuration */
  configuration(): Record<string, unknown> {
    return {
      issuers: [{ issuerUrl: this.opts.oidc.issuer, audience: 'sigstore', challengeClaim: 'email' }],
    };
  }
}
