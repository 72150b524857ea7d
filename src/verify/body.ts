/**
 * The log entry body step: the canonicalized body a log committed to must describe exactly this
 * bundle: the same signature, the same key or certificate, the same artifact digest or DSSE
 * payload. Supports hashedrekord 0.0.1/0.0.2, dsse 0.0.1/0.0.2 and intoto 0.0.2.
 */
import { createHash } from 'node:crypto';
import type { BundleContent, TlogEntry } from '../bundle/parse.js';
import { VerificationError } from '../errors.js';
import { isObject, type JsonObject } from '../lib/json.js';
import { pemBody, withoutWhitespace } from '../lib/shapes.js';
import { parseStrictJson } from '../lib/strict-json.js';
import type { HashAlgorithm } from '../lib/signature.js';
import { pae } from '../bundle/dsse.js';
import type { ErrorCode } from '../errors.js';

/** The key material the body must name: the leaf certificate DER or the SPKI DER of a key. */
export interface SignerMaterial {
  certificate?: Buffer;
  publicKey?: Buffer;
}

function fail(code: ErrorCode, message: string): never {
  throw new VerificationError('body', code, message);
}

function get(o: unknown, path: string): unknown {
  let cur = o;
  for (const k of path.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function getStr(o: unknown, path: string): string {
  const v = get(o, path);
  if (typeof v !== 'string') fail('BODY_MALFORMED', `log entry body has no ${path}`);
  return v;
}

function pemToDer(pem: string): Buffer | undefined {
  const body = pemBody(pem);
  return body === undefined ? undefined : Buffer.from(withoutWhitespace(body), 'base64');
}

/** Compares a key or certificate named by the body (PEM, base64-wrapped) with the signer's. */
function checkPemVerifier(b64Pem: string, signer: SignerMaterial, where: string): void {
  const der = pemToDer(Buffer.from(b64Pem, 'base64').toString('utf8'));
  if (!der || !(signer.certificate?.equals(der) || signer.publicKey?.equals(der))) {
    fail('BODY_KEY_MISMATCH', `the ${where} in the log entry is not the bundle's signing certificate or key`);
  }
}

/** Compares a v0.0.2 `verifier` object ({x509Certificate|publicKey: {rawBytes}}). */
function checkVerifier(v: unknown, signer: SignerMaterial): void {
  const cert = get(v, 'x509Certificate.rawBytes');
  const key = get(v, 'publicKey.rawBytes');
  const der = typeof cert === 'string' ? Buffer.from(cert, 'base64') : typeof key === 'string' ? Buffer.from(key, 'base64') : undefined;
  if (!der || !(signer.certificate?.equals(der) || signer.publicKey?.equals(der))) {
    fail('BODY_KEY_MISMATCH', "the log entry's verifier is not the bundle's signing certificate or key");
  }
}

function checkSig(b64sig: string, expected: Buffer): void {
  if (!Buffer.from(b64sig, 'base64').equals(expected)) fail('BODY_SIGNATURE_MISMATCH', "the log entry's signature is not the bundle's signature");
}

const V2_HASHES: Record<string, HashAlgorithm> = { SHA2_256: 'sha256', SHA2_384: 'sha384', SHA2_512: 'sha512' };

/**
 * Checks that the entry's body matches the bundle content, signer and (for message signatures)
 * the artifact digest computed by the signature step.
 */
export function verifyTlogBody(
  entry: TlogEntry,
  content: BundleContent,
  signer: SignerMaterial,
  artifactDigest?: { algorithm: HashAlgorithm; digest: Buffer },
): void {
  let parsed: unknown;
  try {
    parsed = parseStrictJson(entry.canonicalizedBody.toString('utf8'), { exactIntegers: false });
  } catch {
    parsed = undefined;
  }
  if (!isObject(parsed)) fail('BODY_MALFORMED', 'the log entry body is not a JSON object');
  const body: JsonObject = parsed;
  if (body.kind !== entry.kind || body.apiVersion !== entry.version) {
    fail('BODY_KIND_MISMATCH', `the log entry body is ${body.kind} ${body.apiVersion}, the bundle says ${entry.kind} ${entry.version}`);
  }
  const key = `${entry.kind} ${entry.version}`;
  if (content.kind === 'messageSignature') {
    if (entry.kind !== 'hashedrekord') fail('BODY_KIND_MISMATCH', `a message signature cannot be recorded as ${entry.kind}`);
    if (!artifactDigest) fail('BODY_NO_DIGEST', 'no artifact digest to compare with the log entry');
    if (key === 'hashedrekord 0.0.1') {
      checkSig(getStr(body, 'spec.signature.content'), content.signature);
      checkPemVerifier(getStr(body, 'spec.signature.publicKey.content'), signer, 'public key');
      const alg = getStr(body, 'spec.data.hash.algorithm');
      if (alg !== artifactDigest.algorithm || getStr(body, 'spec.data.hash.value').toLowerCase() !== artifactDigest.digest.toString('hex')) {
        fail('BODY_DIGEST_MISMATCH', "the log entry's artifact digest does not match the artifact");
      }
    } else if (key === 'hashedrekord 0.0.2') {
      const spec = get(body, 'spec.hashedRekordV002');
      checkSig(getStr(spec, 'signature.content'), content.signature);
      checkVerifier(get(spec, 'signature.verifier'), signer);
      const alg = V2_HASHES[getStr(spec, 'data.algorithm')];
      if (alg !== artifactDigest.algorithm || !Buffer.from(getStr(spec, 'data.digest'), 'base64').equals(artifactDigest.digest)) {
        fail('BODY_DIGEST_MISMATCH', "the log entry's artifact digest does not match the artifact");
      }
    } else {
      fail('BODY_UNSUPPORTED', `unsupported log entry type ${key}`);
    }
    return;
  }
  const env = content.envelope;
  const sig = env.signatures[0]!.sig;
  const payloadSha256 = createHash('sha256').update(env.payload).digest();
  const checkPayloadHash = (alg: string, value: Buffer) => {
    if (alg !== 'sha256' || !value.equals(payloadSha256)) fail('BODY_PAYLOAD_MISMATCH', "the log entry's payload hash does not match the DSSE payload");
  };
  if (key === 'dsse 0.0.1') {
    checkPayloadHash(getStr(body, 'spec.payloadHash.algorithm'), Buffer.from(getStr(body, 'spec.payloadHash.value'), 'hex'));
    const sigs = get(body, 'spec.signatures');
    if (!Array.isArray(sigs) || sigs.length !== 1) fail('BODY_SIGNATURE_MISMATCH', 'the log entry must record exactly one DSSE signature');
    checkSig(getStr(sigs[0], 'signature'), sig);
    checkPemVerifier(getStr(sigs[0], 'verifier'), signer, 'verifier');
  } else if (key === 'dsse 0.0.2') {
    const spec = get(body, 'spec.dsseV002');
    checkPayloadHash(
      V2_HASHES[getStr(spec, 'payloadHash.algorithm')] ?? '',
      Buffer.from(getStr(spec, 'payloadHash.digest'), 'base64'),
    );
    const sigs = get(spec, 'signatures');
    if (!Array.isArray(sigs) || sigs.length !== 1) fail('BODY_SIGNATURE_MISMATCH', 'the log entry must record exactly one DSSE signature');
    checkSig(getStr(sigs[0], 'content'), sig);
    checkVerifier(get(sigs[0], 'verifier'), signer);
  } else if (key === 'hashedrekord 0.0.2') {
    // "hashedrekord over DSSE" (Rekor v2 spec 6.1.4): the entry records Hash(PAE(type, payload)).
    const spec = get(body, 'spec.hashedRekordV002');
    checkSig(getStr(spec, 'signature.content'), sig);
    checkVerifier(get(spec, 'signature.verifier'), signer);
    const alg = V2_HASHES[getStr(spec, 'data.algorithm')];
    if (!alg || !Buffer.from(getStr(spec, 'data.digest'), 'base64').equals(createHash(alg).update(pae(env.payloadType, env.payload)).digest())) {
      fail('BODY_PAYLOAD_MISMATCH', "the log entry's digest is not the hash of the DSSE envelope's PAE");
    }
  } else if (key === 'intoto 0.0.2') {
    checkPayloadHash(getStr(body, 'spec.content.payloadHash.algorithm'), Buffer.from(getStr(body, 'spec.content.payloadHash.value'), 'hex'));
    const sigs = get(body, 'spec.content.envelope.signatures');
    if (!Array.isArray(sigs) || sigs.length !== 1) fail('BODY_SIGNATURE_MISMATCH', 'the log entry must record exactly one DSSE signature');
    // intoto 0.0.2 stores the signature and key base64-encoded twice.
    checkSig(Buffer.from(getStr(sigs[0], 'sig'), 'base64').toString('utf8'), sig);
    checkPemVerifier(getStr(sigs[0], 'publicKey'), signer, 'public key');
  } else {
    fail('BODY_UNSUPPORTED', `unsupported log entry type ${key} for a DSSE envelope`);
  }
}
