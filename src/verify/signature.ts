/**
 * The signature step: the bundle's signature over the artifact (hashedrekord) or over the DSSE
 * PAE (attestations), and for DSSE the in-toto statement naming the artifact.
 * Files are streamed, never read whole: small files are hashed and verified in one native pass;
 * large ones hashed once and verified over the digest.
 */
import { createHash, createVerify, type KeyObject } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { IN_TOTO_PAYLOAD_TYPE, pae } from '../bundle/dsse.js';
import type { BundleContent, Envelope } from '../bundle/parse.js';
import { VerificationError } from '../errors.js';
import { trackHashing } from '../lib/hash-progress.js';
import { SYNC_READ_MAX, unreadable } from '../lib/input-file.js';
import { defaultHashForKey, type HashAlgorithm, supportsDigest, verifyDigest, verifyMessage } from '../lib/signature.js';
import type { Artifact, InTotoStatement } from './types.js';
import { parseStrictJson, STATEMENT_MAX_VALUES } from '../lib/strict-json.js';
import type { ErrorCode } from '../errors.js';

/** Files up to this size are verified natively in the same pass as hashing. */
const NATIVE_VERIFY_MAX = 64 * 1024 * 1024;

function fail(code: ErrorCode, message: string): never {
  throw new VerificationError('signature', code, message);
}

/** The size of a file, or undefined when it cannot be told (the read reports why). */
function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

/** {@link hashFile} for small files: the same single pass, in 64 KiB synchronous reads. */
function hashSmallFile(path: string, algorithm: HashAlgorithm, also?: { update(b: Buffer): unknown }): Buffer {
  const h = createHash(algorithm);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
      const chunk = buf.subarray(0, n);
      h.update(chunk);
      also?.update(chunk);
    }
  } catch (e) {
    throw unreadable(path, e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return h.digest();
}

/** Hashes a file in one streaming pass (optionally feeding a signature verifier too). */
export async function hashFile(path: string, algorithm: HashAlgorithm, also?: { update(b: Buffer): unknown }): Promise<Buffer> {
  const size = sizeOf(path);
  if (size !== undefined && size <= SYNC_READ_MAX) return hashSmallFile(path, algorithm, also);
  const h = createHash(algorithm);
  const progress = trackHashing(path, size);
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      h.update(chunk as Buffer);
      also?.update(chunk as Buffer);
      progress.add((chunk as Buffer).length);
    }
  } catch (e) {
    throw unreadable(path, e);
  } finally {
    progress.end();
  }
  return h.digest();
}

/** The artifact's digest with `algorithm`. A digest artifact must already use that algorithm. */
export async function digestArtifact(artifact: Artifact, algorithm: HashAlgorithm): Promise<Buffer> {
  if ('digest' in artifact) {
    if (artifact.digest.algorithm !== algorithm) fail('DIGEST_ALGORITHM_MISMATCH', `the artifact digest is ${artifact.digest.algorithm}, the bundle uses ${algorithm}`);
    return artifact.digest.value;
  }
  if ('data' in artifact) return createHash(algorithm).update(artifact.data).digest();
  return hashFile(artifact.path, algorithm);
}

/**
 * Verifies a message signature over the artifact and returns the artifact's digest (so later
 * steps compare the log entry against it without hashing again).
 */
export async function verifyMessageSignature(
  content: Extract<BundleContent, { kind: 'messageSignature' }>,
  key: KeyObject,
  artifact: Artifact,
): Promise<{ algorithm: HashAlgorithm; digest: Buffer }> {
  const algorithm = content.digest?.algorithm ?? defaultHashForKey(key) ?? 'sha256';
  let digest: Buffer;
  let ok: boolean;
  if ('data' in artifact) {
    const data = Buffer.from(artifact.data.buffer, artifact.data.byteOffset, artifact.data.byteLength);
    digest = createHash(algorithm).update(data).digest();
    ok = verifyMessage(key, data, content.signature, key.asymmetricKeyType === 'ed25519' ? null : algorithm);
  } else if ('digest' in artifact) {
    digest = await digestArtifact(artifact, algorithm);
    if (!supportsDigest(key)) fail('DIGEST_UNSUPPORTED', `a ${key.asymmetricKeyType} signature cannot be verified from a digest; give the file`);
    ok = await verifyDigest(key, digest, content.signature, algorithm);
  } else if (key.asymmetricKeyType === 'ed25519') {
    // Ed25519 signs the whole message; there is no way to stream it.
    const { readFile } = await import('node:fs/promises');
    const data = await readFile(artifact.path).catch((e: unknown) => {
      throw unreadable(artifact.path, e);
    });
    digest = createHash(algorithm).update(data).digest();
    ok = verifyMessage(key, data, content.signature, null);
  } else {
    const size = sizeOf(artifact.path) ?? 0;
    if (size <= NATIVE_VERIFY_MAX && key.asymmetricKeyType !== 'rsa-pss') {
      const v = createVerify(algorithm);
      digest = await hashFile(artifact.path, algorithm, v);
      try {
        ok = v.verify(key, content.signature);
      } catch {
        ok = false;
      }
    } else {
      digest = await hashFile(artifact.path, algorithm);
      ok = await verifyDigest(key, digest, content.signature, algorithm);
    }
  }
  if (content.digest && !content.digest.value.equals(digest)) {
    fail('MESSAGE_DIGEST_MISMATCH', "the artifact's digest does not match the bundle's messageDigest");
  }
  if (!ok) fail('SIGNATURE_INVALID', 'the signature does not verify over the artifact with the signing key');
  return { algorithm, digest };
}

/** Verifies the DSSE envelope's signature over its PAE. */
export function verifyDsseSignature(envelope: Envelope, key: KeyObject): void {
  const sig = envelope.signatures[0]!.sig;
  if (!verifyMessage(key, pae(envelope.payloadType, envelope.payload), sig)) {
    fail('DSSE_SIGNATURE_INVALID', 'the DSSE envelope signature does not verify with the signing key');
  }
}

/** Parses the envelope's in-toto statement (v0.1 or v1). */
export function parseStatement(envelope: Envelope): InTotoStatement {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    fail('DSSE_PAYLOAD_TYPE', `unsupported DSSE payload type ${JSON.stringify(envelope.payloadType)} (expected ${IN_TOTO_PAYLOAD_TYPE})`);
  }
  let st: unknown;
  try {
    // Strict: a duplicate key would let two readers see different subjects or predicates.
    st = parseStrictJson(envelope.payload.toString('utf8'), { exactIntegers: false, maxValues: STATEMENT_MAX_VALUES });
  } catch (e) {
    return fail('STATEMENT_MALFORMED', `the DSSE payload is not JSON (${(e as Error).message})`);
  }
  const s = st as InTotoStatement;
  if (typeof s !== 'object' || s === null || !Array.isArray(s.subject) || typeof s.predicateType !== 'string') {
    fail('STATEMENT_MALFORMED', 'the DSSE payload is not an in-toto statement (needs subject and predicateType)');
  }
  if (s._type !== 'https://in-toto.io/Statement/v1' && s._type !== 'https://in-toto.io/Statement/v0.1') {
    fail('STATEMENT_MALFORMED', `unsupported in-toto statement type ${JSON.stringify(s._type)}`);
  }
  for (const sub of s.subject) {
    if (typeof sub !== 'object' || sub === null || typeof sub.digest !== 'object' || sub.digest === null) {
      fail('STATEMENT_MALFORMED', 'an in-toto subject has no digest');
    }
  }
  return s;
}

const STATEMENT_HASHES: HashAlgorithm[] = ['sha256', 'sha384', 'sha512'];

/** Checks that the artifact is among the statement's subjects (by any digest it lists). */
export async function verifySubject(statement: InTotoStatement, artifact: Artifact): Promise<void> {
  const algs = STATEMENT_HASHES.filter((a) => statement.subject.some((s) => typeof s.digest[a] === 'string'));
  if ('digest' in artifact) {
    const want = artifact.digest.value.toString('hex');
    if (statement.subject.some((s) => s.digest[artifact.digest.algorithm]?.toLowerCase() === want)) return;
    fail('SUBJECT_MISMATCH', `the artifact digest ${artifact.digest.algorithm}:${want} is not a subject of the statement`);
  }
  for (const alg of algs) {
    const hex = (await digestArtifact(artifact, alg)).toString('hex');
    if (statement.subject.some((s) => s.digest[alg]?.toLowerCase() === hex)) return;
  }
  fail('SUBJECT_MISMATCH', 'the artifact is not a subject of the in-toto statement');
}
