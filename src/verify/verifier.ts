/**
 * The verifier: runs every check on a bundle, in order, each in its own module, and returns a
 * structured result. Order: key material, signature (over the artifact or DSSE PAE), log entry
 * body, transparency log proofs, RFC 3161 timestamps, trusted time, certificate chain, SCT, policy.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { isParsedBundle, type ParsedBundle, parseBundle } from '../bundle/parse.js';
import { BundleError, SigstoreError, UsageError, VerificationError, type VerificationStep } from '../errors.js';
import { Der, DerError } from '../lib/der.js';
import type { JsonObject } from '../lib/json.js';
import { buildTrustMaterial, type TransparencyLog, type TrustMaterial, within } from '../trust/trusted-root.js';
import { type SignerMaterial, verifyTlogBody } from './body.js';
import { refuseShippedRoot, verifyChain } from './chain.js';
import { certificateSigner } from './extensions.js';
import type { VerificationPolicy } from './policy.js';
import { verifySCTs } from './sct.js';
import { parseStatement, verifyDsseSignature, verifyMessageSignature, verifySubject } from './signature.js';
import { verifyTimestamps } from './timestamp.js';
import { type VerifiedTlogEntry, verifyTlogEntry } from './tlog/index.js';
import type { Artifact, InTotoStatement, UnsafeDsseVerificationResult, VerificationResult, VerifiedTimestamp } from './types.js';

/**
 * A managed-key policy: the bundle must be signed by this key (bundles with a `publicKey` hint).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const policy: KeyPolicy = { key: readFileSync('key.pub', 'utf8') };
 * ```
 */
export interface KeyPolicy {
  /** A KeyObject, or a PEM / DER SubjectPublicKeyInfo. */
  key: KeyObject | string | Buffer;
}

/**
 * Options for {@link Verifier}.
 *
 * @example
 * ```ts
 * const options: VerifierOptions = { now: new Date('2026-01-01T00:00:00Z') };
 * ```
 */
export interface VerifierOptions {
  /** The current time (for "not in the future" checks); defaults to the clock. */
  now?: Date;
}

/**
 * Anything {@link Verifier.verify} accepts as a bundle: JSON text or bytes, a parsed JSON object,
 * or a {@link ParsedBundle}.
 *
 * @example
 * ```ts
 * const input: BundleInput = readFileSync('a.txt.sigstore.json');
 * ```
 */
export type BundleInput = ParsedBundle | string | Buffer | JsonObject;

function toKey(k: KeyPolicy['key']): KeyObject {
  if (typeof k === 'object' && !Buffer.isBuffer(k)) return k;
  try {
    let der: Buffer;
    if (typeof k === 'string') {
      const m = k.match(/^\s*-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----\s*$/);
      if (!m) throw new Error('expected one PEM "PUBLIC KEY" block');
      der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
    } else der = k;
    Der.parse(der); // exactly one DER element: no trailing bytes
    try {
      return createPublicKey({ key: der, format: 'der', type: 'spki' });
    } catch {
      throw new Error('not a SubjectPublicKeyInfo of a supported key type');
    }
  } catch (e) {
    throw new UsageError('KEY_INVALID', `the verification key is not a valid public key (${(e as Error).message})`);
  }
}

/**
 * The parsed bundle to verify: `input` itself when {@link parseBundle} returned it, else its
 * parse. An object with a parsed bundle's fields that parseBundle did not return (a copy, a
 * hand-made one) is refused: it was never checked.
 */
function toParsed(input: BundleInput): ParsedBundle {
  if (isParsedBundle(input)) return input;
  if (typeof input === 'object' && input !== null && !Buffer.isBuffer(input) && ('material' in input || 'content' in input)) {
    throw new BundleError('BUNDLE_NOT_PARSED', 'the bundle object did not come from parseBundle: pass the bundle JSON, or what parseBundle returned');
  }
  return parseBundle(input as string | Buffer | JsonObject);
}

/**
 * Verifies Sigstore bundles against a trusted root, offline.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { Identity, Verifier, loadTrustMaterial } from 'sigstore-ts';
 * const verifier = new Verifier(await loadTrustMaterial());
 * const result = await verifier.verify(
 *   readFileSync('a.txt.sigstore.json'),
 *   { path: 'a.txt' },
 *   new Identity({ identity: 'me@example.com', issuer: 'https://accounts.google.com' }),
 * );
 * console.log(result.signer);
 * ```
 */
export class Verifier {
  /** The trust material verified against: `trust` as given when built (immutable), else an immutable copy of it. */
  readonly trust: TrustMaterial;
  private readonly options: VerifierOptions;

  constructor(trust: TrustMaterial, options: VerifierOptions = {}) {
    this.trust = buildTrustMaterial(trust);
    this.options = options;
  }

  /**
   * Verifies one bundle for one artifact. Resolves to the result, or rejects with a
   * {@link VerificationError} (or {@link PolicyError}) naming the failed step.
   */
  async verify(input: BundleInput, artifact: Artifact, policy: VerificationPolicy | KeyPolicy): Promise<VerificationResult> {
    return this.run(input, policy, async (bundle, key) => {
      // The signature over the artifact (or DSSE PAE) and, for DSSE, the statement's subject.
      if (bundle.content.kind === 'messageSignature') {
        const artifactDigest = await verifyMessageSignature(bundle.content, key, artifact);
        return { artifactDigest, statement: undefined, signatureBytes: bundle.content.signature };
      }
      const env = bundle.content.envelope;
      verifyDsseSignature(env, key);
      const statement = parseStatement(env);
      await verifySubject(statement, artifact);
      return { artifactDigest: undefined, statement, signatureBytes: env.signatures[0]!.sig };
    });
  }

  /**
   * UNSAFE: verifies a DSSE bundle without an artifact. Every check runs (the envelope
   * signature, the log entries, timestamps, certificate chain, SCT and the policy) except the
   * binding to an artifact: nothing here says WHAT was signed. The payload may be anything (an
   * in-toto statement or not); the caller must check `payloadType` and `payload` itself before
   * trusting them. Like sigstore-python's `verify_dsse` and sigstore-go's
   * `WithoutArtifactUnsafe`. Bundles with a message signature (which signs an artifact) are
   * refused (`DSSE_REQUIRED`).
   *
   * @example
   * ```ts
   * import { readFileSync } from 'node:fs';
   * import { Identity, Verifier, loadTrustMaterial } from 'sigstore-ts';
   * const verifier = new Verifier(await loadTrustMaterial());
   * const { payloadType, payload } = await verifier.verifyDsseWithoutArtifactUnsafe(
   *   readFileSync('attestation.sigstore.json'),
   *   new Identity({ identity: 'me@example.com', issuer: 'https://accounts.google.com' }),
   * );
   * if (payloadType !== 'application/vnd.example+json') throw new Error('unexpected payload type');
   * const claim = JSON.parse(payload.toString('utf8')); // now check what it says
   * ```
   */
  async verifyDsseWithoutArtifactUnsafe(input: BundleInput, policy: VerificationPolicy | KeyPolicy): Promise<UnsafeDsseVerificationResult> {
    const result = await this.run(input, policy, async (bundle, key) => {
      if (bundle.content.kind !== 'dsseEnvelope') {
        throw new VerificationError('signature', 'DSSE_REQUIRED', 'the bundle holds a message signature, not a DSSE envelope: verify it with its artifact');
      }
      const env = bundle.content.envelope;
      verifyDsseSignature(env, key);
      return { artifactDigest: undefined, statement: undefined, signatureBytes: env.signatures[0]!.sig };
    });
    const env = (result.bundle.content as Extract<ParsedBundle['content'], { kind: 'dsseEnvelope' }>).envelope;
    return { ...result, payloadType: env.payloadType, payload: Buffer.from(env.payload) };
  }

  /**
   * Every check, in order, with step 2 (the signature and what it binds) given by the caller.
   * Whatever a check meets that is not one of our errors is refused as a VerificationError of
   * that step (see {@link asVerificationError}).
   */
  private async run(input: BundleInput, policy: VerificationPolicy | KeyPolicy, bind: Bind): Promise<VerificationResult> {
    const at: { step: VerificationStep } = { step: 'bundle' };
    try {
      return await this.runSteps(input, policy, bind, at);
    } catch (e) {
      throw asVerificationError(e, at.step);
    }
  }

  private async runSteps(input: BundleInput, policy: VerificationPolicy | KeyPolicy, bind: Bind, at: { step: VerificationStep }): Promise<VerificationResult> {
    if (!policy) throw new UsageError('NO_POLICY', 'refusing to verify without a policy (use unsafeAcceptAnyIdentity() to accept any signer)');
    const bundle = toParsed(input);
    const trust = this.trust;
    const now = this.options.now ?? new Date();

    at.step = 'key';
    // 1. Key material.
    let key: KeyObject;
    let signerMaterial: SignerMaterial;
    const mat = bundle.material;
    if (mat.kind === 'publicKey') {
      if (!('key' in policy)) {
        throw new VerificationError('key', 'KEY_REQUIRED', 'the bundle is signed with a managed key: give the public key to verify it with');
      }
      key = toKey(policy.key);
      signerMaterial = { publicKey: key.export({ format: 'der', type: 'spki' }) };
    } else {
      if ('key' in policy) {
        throw new VerificationError('key', 'KEY_NOT_EXPECTED', 'the bundle is signed with a certificate, not a managed key');
      }
      refuseShippedRoot(mat.chain);
      key = mat.certificate.publicKey;
      signerMaterial = { certificate: mat.certificate.raw };
    }

    at.step = 'signature';
    // 2. Signature (over the artifact or DSSE PAE) and what it binds.
    const { artifactDigest, statement, signatureBytes } = await bind(bundle, key);

    at.step = 'body';
    // 3. Log entry bodies describe this bundle.
    if (bundle.tlogEntries.length === 0) throw new VerificationError('tlog', 'TLOG_MISSING', 'the bundle has no transparency log entry');
    for (const entry of bundle.tlogEntries) verifyTlogBody(entry, bundle.content, signerMaterial, artifactDigest);

    at.step = 'tlog';
    // 4. Transparency log proofs.
    const verifiedEntries: VerifiedTlogEntry[] = bundle.tlogEntries.map((e) => verifyTlogEntry(e, trust, now));

    at.step = 'timestamp';
    // 5. RFC 3161 timestamps.
    const tsaTimes = verifyTimestamps(bundle.timestamps, signatureBytes, trust);

    at.step = 'time';
    // 6. Trusted times.
    const times: VerifiedTimestamp[] = [...tsaTimes];
    for (const v of verifiedEntries) {
      if (v.integratedTime) times.push({ time: v.integratedTime, source: 'tlog', authority: v.log.baseUrl });
      else checkLogValidAtTsaTimes(v.log, tsaTimes);
    }
    // times is never empty here: there is at least one entry (TLOG_MISSING), and an entry without
    // a signed integrated time is refused above when the bundle has no verified timestamp.

    if (mat.kind === 'publicKey') {
      const keyId = createHash('sha256').update(signerMaterial.publicKey!).digest('hex');
      return { signer: { kind: 'key', keyId, hint: mat.hint }, timestamps: times, tlogEntries: verifiedEntries.map((v) => v.reported), statement, payloadType: payloadType(bundle), bundle };
    }

    at.step = 'chain';
    // 7. Certificate chain at every trusted time.
    const chain = verifyChain(
      mat.certificate,
      trust,
      times.map((t) => t.time),
    );

    at.step = 'sct';
    // 8. SCT.
    verifySCTs(mat.certificate, chain.path[1]!, trust, now);

    at.step = 'policy';
    // 9. Policy.
    const signer = certificateSigner(mat.certificate);
    (policy as VerificationPolicy).check(signer);
    return { signer, timestamps: times, tlogEntries: verifiedEntries.map((v) => v.reported), statement, payloadType: payloadType(bundle), bundle };
  }
}

/**
 * What reaches the caller from a verification: our own errors as they are, and anything else
 * (malformed DER met in a check, an internal TypeError or RangeError) as a VerificationError
 * of the step that met it, with the DER rule's code or INPUT_MALFORMED.
 */
export function asVerificationError(e: unknown, step: VerificationStep): unknown {
  if (e instanceof SigstoreError && !(e instanceof DerError)) return e;
  const message = e instanceof Error ? e.message : String(e);
  const code = e instanceof DerError ? e.code : 'INPUT_MALFORMED';
  return new VerificationError(step, code, `malformed input at the ${step} step: ${message}`, { cause: e });
}

/** Step 2 of a verification: checks the signature and says what it binds. */
type Bind = (
  bundle: ParsedBundle,
  key: KeyObject,
) => Promise<{ artifactDigest: Awaited<ReturnType<typeof verifyMessageSignature>> | undefined; statement: InTotoStatement | undefined; signatureBytes: Buffer }>;

function payloadType(b: ParsedBundle): string | undefined {
  return b.content.kind === 'dsseEnvelope' ? b.content.envelope.payloadType : undefined;
}

/** A log entry without a signed integrated time (Rekor v2) is dated by the TSA times instead. */
function checkLogValidAtTsaTimes(log: TransparencyLog, tsaTimes: VerifiedTimestamp[]): void {
  if (tsaTimes.length === 0) {
    throw new VerificationError('time', 'NO_TRUSTED_TIME', 'the log entry has no signed integrated time and the bundle has no verified RFC 3161 timestamp');
  }
  for (const t of tsaTimes) {
    if (!within(log.validFor, t.time)) {
      throw new VerificationError('tlog', 'TLOG_KEY_NOT_VALID', `the log key of ${log.baseUrl || 'the log'} was not valid at the timestamp ${t.time.toISOString()}`);
    }
  }
}
