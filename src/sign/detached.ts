/**
 * Detached signatures (a certificate and a signature, no bundle), as sigstore-python's
 * `verify --certificate --signature` takes them: the matching hashedrekord entry is looked up in
 * the Rekor v1 log(s) and each entry found becomes a candidate v0.3 bundle, to be verified like
 * any bundle. Candidates come oldest first (by integrated time): the oldest valid one wins.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type BundleJson, serializeBundle } from '../bundle/serialize.js';
import { NetworkError, UsageError, VerificationError } from '../errors.js';
import { readFailure } from '../lib/input-file.js';
import type { JsonObject } from '../lib/json.js';
import { defaultHashForKey, type HashAlgorithm } from '../lib/signature.js';
import { Certificate } from '../lib/x509.js';
import { parseSigningConfig } from '../trust/signing-config.js';
import { type TrustMaterial, within } from '../trust/trusted-root.js';
import type { VerificationPolicy } from '../verify/policy.js';
import type { Artifact, VerificationResult } from '../verify/types.js';
import type { Verifier } from '../verify/verifier.js';
import type { ClientOptions } from './client.js';
import { hashedRekordV001, searchEntriesV1, type TlogEntryJson } from './rekor-v1.js';

/**
 * Reads a certificate file: PEM (the first certificate) or DER.
 *
 * @example
 * ```ts
 * const cert = readCertificate(readFileSync('a.txt.crt'), 'a.txt.crt');
 * ```
 */
export function readCertificate(bytes: Buffer, what: string): Certificate {
  try {
    const text = bytes.toString('latin1');
    return text.includes('-----BEGIN CERTIFICATE-----') ? Certificate.fromPEM(text) : new Certificate(bytes);
  } catch (e) {
    throw new UsageError('CERTIFICATE_INVALID', `${what} is not a PEM or DER X.509 certificate (${(e as Error).message})`);
  }
}

/**
 * Reads a signature file: base64 text (what `sign --signature` writes), else the raw bytes.
 *
 * @example
 * ```ts
 * const sig = readSignature(readFileSync('a.txt.sig'));
 * ```
 */
export function readSignature(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1').trim();
  if (text.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0) return Buffer.from(text, 'base64');
  return bytes;
}

async function digestOf(artifact: Artifact, hash: HashAlgorithm): Promise<Buffer> {
  if ('digest' in artifact) {
    if (artifact.digest.algorithm !== hash) {
      throw new UsageError('DIGEST_ALGORITHM_MISMATCH', `the certificate's key signs ${hash} digests; the input is a ${artifact.digest.algorithm} digest`);
    }
    return artifact.digest.value;
  }
  if ('data' in artifact) return createHash(hash).update(artifact.data).digest();
  const { hashFile } = await import('../verify/signature.js');
  return hashFile(artifact.path, hash);
}

/**
 * Finds the log entries for a detached signature in the Rekor v1 logs at `rekorUrls` and returns
 * one candidate bundle per entry, oldest first. Logs that cannot be searched (no such API)
 * contribute nothing; when none answers at all, the last failure is thrown. An empty result
 * means the signature is in none of the logs.
 *
 * @example
 * ```ts
 * const candidates = await detachedBundles({ certificate, signature, artifact: { path: 'a.txt' } }, ['https://rekor.sigstore.dev']);
 * for (const b of candidates) { try { return await verifier.verify(b, artifact, policy); } catch {} }
 * ```
 */
export async function detachedBundles(
  input: { certificate: Certificate; signature: Buffer; artifact: Artifact; hash?: HashAlgorithm },
  rekorUrls: string[],
  http: ClientOptions = {},
): Promise<BundleJson[]> {
  const hash = input.hash ?? defaultHashForKey(input.certificate.publicKey) ?? 'sha256';
  const digest = await digestOf(input.artifact, hash);
  const proposed = hashedRekordV001({ algorithm: hash, value: digest }, input.signature, input.certificate.raw);
  const entries: TlogEntryJson[] = [];
  let failure: unknown;
  let answered = 0;
  for (const url of [...new Set(rekorUrls)]) {
    try {
      entries.push(...(await searchEntriesV1(url, proposed, hash === 'sha256' ? `sha256:${digest.toString('hex')}` : undefined, http)));
      answered++;
    } catch (e) {
      failure = e;
    }
  }
  if (answered === 0 && failure) throw failure;
  if (answered === 0) throw new NetworkError('NO_LOG', 'no Rekor v1 log is configured to look the signature up in');
  const seen = new Set<string>();
  const unique = entries.filter((e) => {
    const k = `${e.logId && (e.logId as { keyId?: string }).keyId}:${e.logIndex}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  unique.sort((a, b) => Number(BigInt(String(a.integratedTime ?? '0')) - BigInt(String(b.integratedTime ?? '0'))));
  return unique.map((entry) =>
    serializeBundle({
      certificate: input.certificate.raw,
      tlogEntries: [entry],
      timestamps: [],
      content: { kind: 'messageSignature', digest: { algorithm: hash, value: digest }, signature: input.signature },
    }),
  );
}

/**
 * The hash a detached signature was made with, checked against the artifact: SHA-256 first (as
 * sigstore-python and cosign sign, whatever the curve), then the key's own hash (SHA-384 for
 * P-384, as this signer signs). Throws the SHA-256 failure when neither verifies.
 */
async function signedWith(certificate: Certificate, signature: Buffer, artifact: Artifact): Promise<HashAlgorithm> {
  const { verifyMessageSignature } = await import('../verify/signature.js');
  const key = certificate.publicKey;
  if (key.asymmetricKeyType === 'ed25519') {
    await verifyMessageSignature({ kind: 'messageSignature', digest: undefined, signature }, key, artifact);
    return 'sha256';
  }
  const candidates: HashAlgorithm[] = 'digest' in artifact ? [artifact.digest.algorithm] : [...new Set<HashAlgorithm>(['sha256', defaultHashForKey(key) ?? 'sha256'])];
  let first: unknown;
  for (const algorithm of candidates) {
    try {
      const digest = await digestOf(artifact, algorithm);
      await verifyMessageSignature({ kind: 'messageSignature', digest: { algorithm, value: digest }, signature }, key, artifact);
      return algorithm;
    } catch (e) {
      first ??= e;
    }
  }
  throw first;
}

/**
 * What the CLI's detached verification needs: the files, the artifact, the active trust (its
 * signing config names the Rekor v1 logs; without one, the trusted root's logs are searched).
 *
 * @example
 * ```ts
 * const active = await loadTrust({ staging: true });
 * const v: DetachedVerification = { certPath: 'a.crt', sigPath: 'a.sig', artifact: { path: 'a.txt' }, active, verifier: new Verifier(active.trustMaterial), policy };
 * ```
 */
export interface DetachedVerification {
  certPath: string;
  sigPath: string;
  artifact: Artifact;
  active: { trustMaterial: TrustMaterial; signingConfigJson: JsonObject | undefined };
  verifier: Verifier;
  policy: VerificationPolicy;
  http?: ClientOptions;
}

/** The Rekor v1 logs to search: the signing config's (valid now), else every log of the trusted root. */
function rekorV1Urls(active: DetachedVerification['active']): string[] {
  if (active.signingConfigJson) {
    const cfg = parseSigningConfig(active.signingConfigJson, 'the signing config');
    const now = new Date();
    const v1 = cfg.rekorTlogUrls.filter((s) => s.majorApiVersion === 1 && within(s.validFor, now)).map((s) => s.url);
    if (v1.length > 0) return v1;
  }
  return active.trustMaterial.tlogs.map((l) => l.baseUrl.replace(/\/+$/, '')).filter((u) => /^https?:\/\//.test(u));
}

/**
 * Verifies a detached certificate and signature over an artifact: looks the entry up in the
 * Rekor v1 log(s) and verifies each candidate bundle, oldest first; the first that verifies wins.
 * Throws the first candidate's failure when none verifies, or a `TLOG_ENTRY_NOT_FOUND`
 * {@link VerificationError} when the log has no entry for it.
 *
 * @example
 * ```ts
 * const result = await verifyDetached({ certPath: 'a.crt', sigPath: 'a.sig', artifact: { path: 'a.txt' }, active, verifier, policy });
 * ```
 */
export async function verifyDetached(v: DetachedVerification): Promise<VerificationResult> {
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new UsageError('INPUT_UNREADABLE', `cannot read the ${what} ${path}: ${readFailure(e)}`);
    }
  };
  const certificate = readCertificate(read(v.certPath, 'certificate'), v.certPath);
  const signature = readSignature(read(v.sigPath, 'signature'));
  // The signature must be over this artifact before the log is asked about it.
  const hash = await signedWith(certificate, signature, v.artifact);
  const urls = rekorV1Urls(v.active);
  const candidates = await detachedBundles({ certificate, signature, artifact: v.artifact, hash }, urls, v.http);
  if (candidates.length === 0) {
    throw new VerificationError('tlog', 'TLOG_ENTRY_NOT_FOUND', `no entry for this certificate and signature in the transparency log (${urls.join(', ')})`);
  }
  let first: unknown;
  for (const b of candidates) {
    try {
      return await v.verifier.verify(b, v.artifact, v.policy);
    } catch (e) {
      first ??= e;
    }
  }
  throw first;
}
