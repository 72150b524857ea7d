/**
 * The signer: one ephemeral key and one Fulcio certificate per session, then for each artifact
 * (or in-toto statement) the signature, the transparency log entries and the RFC 3161 timestamps
 * (requested concurrently), a v0.3 bundle, and a full verification of that bundle with the
 * project's own {@link Verifier} against the trusted root. A bundle that does not verify is never
 * returned.
 *
 * Services come from the signing config only (never hard-coded): the Fulcio CA, the Rekor logs
 * (v1 or v2, the highest offered unless `rekorVersion` says otherwise, per the config's
 * selector) and the TSAs (per its selector).
 */
import { createHash } from 'node:crypto';
import { createEnvelope, type DsseEnvelope, envelopeToJson, IN_TOTO_PAYLOAD_TYPE, pae } from '../bundle/dsse.js';
import { parseStatementForSigning, type Statement } from '../bundle/intoto.js';
import { type BundleJson, type BundleParts, serializeBundle } from '../bundle/serialize.js';
import { SigstoreError, UsageError } from '../errors.js';
import { mapConcurrent, type RampOptions } from '../lib/concurrent.js';
import type { JsonObject } from '../lib/json.js';
import type { HashAlgorithm } from '../lib/signature.js';
import { IdentityToken } from '../oidc/token.js';
import type { ClientTrustConfig } from '../trust/client-config.js';
import type { SigningConfig } from '../trust/signing-config.js';
import type { TrustMaterial } from '../trust/trusted-root.js';
import type { Artifact } from '../verify/types.js';
import { Verifier } from '../verify/verifier.js';
import type { ClientOptions } from './client.js';
import { type IssuedCertificate, requestCertificate, type TokenLike } from './fulcio.js';
import { EphemeralKey, KEY_TYPES, type KeyType } from './keys.js';
import { checkCombination, type Services, type SigningKind, selectSigningServices } from './preflight.js';
import { createEntryV1, dsseV001, hashedRekordV001, type TlogEntryJson } from './rekor-v1.js';
import { createEntryV2, hashedRekordV002 } from './rekor-v2.js';
import { OwnCertificate, subjectArtifact } from './self-check.js';
import { requestTimestamp } from './tsa.js';

/** The self-check policy, also used for PEP 740 attestations (defined in self-check.ts). */
export { OwnCertificate };

/**
 * Options of a {@link Signer}. Trust comes from `trustConfig`, or from `trustedRoot` and
 * `signingConfig` together; the identity from `identityToken` or `tokenProvider`.
 *
 * @example
 * ```ts
 * const options: SignerOptions = {
 *   trustConfig: parseClientTrustConfig(readFileSync('trust_config.json', 'utf8')),
 *   identityToken: process.env.SIGSTORE_IDENTITY_TOKEN,
 *   rekorVersion: 2,
 *   keyType: 'p384',
 * };
 * ```
 */
export interface SignerOptions {
  /** A client trust config: the trusted root and the signing config. */
  trustConfig?: ClientTrustConfig;
  /** The trusted root (with `signingConfig`, instead of `trustConfig`). */
  trustedRoot?: TrustMaterial;
  /** The signing config (with `trustedRoot`, instead of `trustConfig`). */
  signingConfig?: SigningConfig;
  /** An OIDC identity token (the raw JWT or a parsed {@link IdentityToken}). */
  identityToken?: string | IdentityToken;
  /** Called for a token whenever a certificate is needed (instead of `identityToken`). */
  tokenProvider?: () => Promise<string | IdentityToken> | string | IdentityToken;
  /** The audience tokens must be for (default `sigstore`). */
  audience?: string;
  /** Rekor API version to use: 1 or 2. Default: the highest the signing config offers. */
  rekorVersion?: 1 | 2;
  /** The ephemeral key type (default `p256`). */
  keyType?: KeyType;
  /** Ask the signing config's timestamp authorities for RFC 3161 timestamps (default true). */
  timestamps?: boolean;
  /**
   * How many artifacts are signed concurrently by {@link Signer.signMany} (default 32). The first
   * two start at once and the window opens to this size within about 40 ms, sooner as answers
   * come back, so a nearby log answers the first requests before it has read all of them.
   */
  concurrency?: number;
  /** HTTP settings of every request: per-attempt timeout, attempts, first backoff delay. */
  http?: ClientOptions;
  /** Progress messages (never contain tokens). */
  log?: (message: string) => void;
}

/** How signMany and attestMany open their window: 2 at once, doubling every 10 ms or on answers. */
const RAMP: RampOptions = { start: 2, everyMs: 10 };

/** One key and its certificate. */
interface Session {
  key: EphemeralKey;
  cert: IssuedCertificate;
}

/** The digest algorithm a key's hashedrekord entries use. */
function digestAlgorithm(key: EphemeralKey): HashAlgorithm {
  return key.hash ?? 'sha256';
}

/**
 * Signs artifacts and in-toto statements with Sigstore: an ephemeral key, a Fulcio certificate,
 * transparency log entries and timestamps, as verified v0.3 bundles.
 *
 * @example
 * ```ts
 * import { readFileSync, writeFileSync } from 'node:fs';
 * import { Signer, parseClientTrustConfig } from 'sigstore-ts';
 * const signer = new Signer({
 *   trustConfig: parseClientTrustConfig(readFileSync('trust_config.json', 'utf8')),
 *   identityToken: process.env.SIGSTORE_IDENTITY_TOKEN,
 * });
 * const bundle = await signer.sign({ path: 'dist/pkg-1.0.tar.gz' });
 * writeFileSync('dist/pkg-1.0.tar.gz.sigstore.json', JSON.stringify(bundle));
 * const many = await signer.signMany([{ path: 'a.whl' }, { path: 'b.tar.gz' }]);
 * const attestation = await signer.attest({
 *   _type: 'https://in-toto.io/Statement/v1',
 *   subject: [{ name: 'a.whl', digest: { sha256: '...' } }],
 *   predicateType: 'https://example.com/predicate/v1',
 *   predicate: {},
 * });
 * ```
 */
export class Signer {
  /** The trusted root bundles are verified against. */
  readonly trustedRoot: TrustMaterial;
  /** The signing config services are selected from. */
  readonly signingConfig: SigningConfig;
  readonly keyType: KeyType;
  readonly #options: SignerOptions;
  readonly #verifier: Verifier;
  #services: Services | undefined;
  #session: Promise<Session> | undefined;

  constructor(options: SignerOptions) {
    const trustedRoot = options.trustConfig?.trustedRoot ?? options.trustedRoot;
    const signingConfig = options.trustConfig?.signingConfig ?? options.signingConfig;
    if (options.trustConfig && (options.trustedRoot || options.signingConfig)) {
      throw new UsageError('USAGE', 'give either trustConfig or trustedRoot and signingConfig, not both');
    }
    if (!trustedRoot || !signingConfig) throw new UsageError('USAGE', 'a Signer needs a trustConfig, or a trustedRoot and a signingConfig');
    if (options.identityToken === undefined && options.tokenProvider === undefined) {
      throw new UsageError('USAGE', 'a Signer needs an identityToken or a tokenProvider');
    }
    const keyType = options.keyType ?? 'p256';
    if (!KEY_TYPES.includes(keyType)) throw new UsageError('USAGE', `unknown key type ${JSON.stringify(keyType)} (choose from ${KEY_TYPES.join(', ')})`);
    if (options.rekorVersion !== undefined && options.rekorVersion !== 1 && options.rekorVersion !== 2) {
      throw new UsageError('USAGE', `unsupported Rekor version ${JSON.stringify(options.rekorVersion)} (choose 1 or 2)`);
    }
    this.trustedRoot = trustedRoot;
    this.signingConfig = signingConfig;
    this.keyType = keyType;
    this.#options = options;
    this.#verifier = new Verifier(trustedRoot);
  }

  #log(m: string): void {
    this.#options.log?.(m);
  }

  /**
   * The services this signer uses, selected from the signing config (valid now, API versions,
   * selectors). Throws when the config cannot satisfy them; makes no request.
   */
  services(): { fulcio: string; rekor: { url: string; version: number }[]; tsa: string[] } {
    const s = this.#selectServices();
    return { fulcio: s.fulcio.url, rekor: s.rekor.map((r) => ({ url: r.url, version: r.majorApiVersion })), tsa: s.tsa.map((t) => t.url) };
  }

  #selectServices(): Services {
    this.#services ??= selectSigningServices(this.signingConfig, this.#options);
    return this.#services;
  }

  /**
   * Checks, without any request, that signing `kind` (artifacts or DSSE statements) can succeed
   * with this key type and the selected services; throws a one-line error saying what to use
   * instead. {@link Signer.sign} and {@link Signer.attest} check this before any request too.
   *
   * @example
   * ```ts
   * signer.preflight('dsse'); // throws KEY_TYPE_UNSUPPORTED for Ed25519 with a Rekor v2 log
   * ```
   */
  preflight(kind: SigningKind): void {
    checkCombination(this.keyType, kind, this.#selectServices());
  }

  async #token(): Promise<TokenLike> {
    const o = this.#options;
    const t = o.tokenProvider ? await o.tokenProvider() : o.identityToken!;
    if (t instanceof IdentityToken) {
      if (!t.inValidityPeriod()) {
        throw new SigstoreError('IDENTITY_TOKEN_EXPIRED', `the identity token${t.source ? ` ${t.source}` : ''} expired at ${t.expiresAt.toISOString()}; get a new one`);
      }
      return t;
    }
    return new IdentityToken(t, { audience: o.audience ?? 'sigstore', source: o.tokenProvider ? 'from the token provider' : 'given to the signer' });
  }

  /**
   * The session's key and certificate, renewed when the certificate is about to expire. Callers
   * waiting on a session that fails get its error; later calls try again.
   */
  async #getSession(): Promise<Session> {
    const current = this.#session;
    if (current) {
      const s = await current;
      if (s.cert.certificate.notAfter.getTime() - Date.now() > 60_000) return s;
      if (this.#session === current) this.#session = undefined;
      return this.#getSession();
    }
    const created = (async () => {
      const services = this.#selectServices();
      const token = await this.#token();
      const key = new EphemeralKey(this.keyType);
      this.#log(`requesting a signing certificate from ${services.fulcio.url}`);
      const cert = await requestCertificate({
        baseUrl: services.fulcio.url,
        token,
        key,
        trust: this.trustedRoot,
        ...(this.#options.http ? { http: this.#options.http } : {}),
      });
      this.#log(`certificate issued for ${cert.identity}${cert.issuer ? ` (issuer ${cert.issuer})` : ''}`);
      return { key, cert };
    })();
    this.#session = created;
    created.catch(() => {
      if (this.#session === created) this.#session = undefined;
    });
    return created;
  }

  /** Log entries from every selected log and timestamps from every selected TSA, concurrently. */
  async #witness(
    services: Services,
    signature: Buffer,
    entries: { v1: () => JsonObject; v2: () => JsonObject },
  ): Promise<{ tlogEntries: TlogEntryJson[]; timestamps: Buffer[] }> {
    const timeout = this.#options.http ?? {};
    const [tlogEntries, timestamps] = await Promise.all([
      Promise.all(services.rekor.map((r) => (r.majorApiVersion === 2 ? createEntryV2(r.url, entries.v2(), timeout) : createEntryV1(r.url, entries.v1(), timeout)))),
      Promise.all(services.tsa.map((t) => requestTimestamp(t.url, signature, this.trustedRoot, timeout))),
    ]);
    return { tlogEntries, timestamps };
  }

  async #verify(parts: BundleParts, artifact: Artifact, session: Session, what: string): Promise<BundleJson> {
    const bundle = serializeBundle(parts);
    try {
      await this.#verifier.verify(bundle, artifact, new OwnCertificate(session.cert.certificate.raw));
    } catch (e) {
      const m = e instanceof Error ? e.message : String(e);
      const step = (e as { step?: string }).step;
      // Name the service whose answer did not verify.
      const s = this.#selectServices();
      const rekor = s.rekor.map((r) => `Rekor v${r.majorApiVersion} at ${r.url}`).join(', ');
      const from: Record<string, string> = {
        tlog: `the log entry from ${rekor}`,
        body: `the log entry from ${rekor}`,
        timestamp: `the timestamp from ${s.tsa.map((t) => `the TSA at ${t.url}`).join(', ')}`,
        chain: `the certificate from Fulcio at ${s.fulcio.url}`,
        sct: `the certificate from Fulcio at ${s.fulcio.url}`,
      };
      const source = step && from[step] ? ` (${from[step]})` : '';
      throw new SigstoreError('SIGNED_BUNDLE_INVALID', `the bundle for ${what} does not verify at step ${step ?? 'unknown'}${source}, so it was not written: ${m}`, { cause: e });
    }
    return bundle;
  }

  /**
   * Signs one artifact and returns its verified bundle: a file (`{ path }`, or a string: a
   * path), bytes (`{ data }` or a Uint8Array), or a digest with the key's hash (`{ digest }`:
   * SHA-256 for P-256, SHA-384 for P-384).
   *
   * @example
   * ```ts
   * const bundle = await signer.sign('dist/pkg-1.0.tar.gz');
   * const fromBytes = await signer.sign(new TextEncoder().encode('hello'));
   * const fromDigest = await signer.sign({ digest: { algorithm: 'sha256', value: digest } });
   * ```
   */
  async sign(artifact: Artifact | Uint8Array | string): Promise<BundleJson> {
    const a: Artifact = typeof artifact === 'string' ? { path: artifact } : artifact instanceof Uint8Array ? { data: artifact } : artifact;
    this.preflight('artifact');
    const services = this.#selectServices();
    const session = await this.#getSession();
    const key = session.key;
    const alg = digestAlgorithm(key);
    let digest: Buffer;
    let signature: Buffer;
    let label: string;
    // What the bundle is checked against before it is returned: the bytes that were signed (a
    // file up to 32 MiB, read once), else the digest of what was signed.
    let check: Artifact = a;
    if ('path' in a) {
      let data: Buffer | undefined;
      ({ digest, signature, data } = await key.signFile(a.path));
      check = data ? { data } : { digest: { algorithm: alg, value: digest } };
      label = a.path;
    } else if ('data' in a) {
      ({ digest, signature } = key.signBytes(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)));
      label = 'the data';
    } else {
      if (a.digest.algorithm !== alg) {
        throw new UsageError('DIGEST_ALGORITHM_MISMATCH', `a ${key.type} key signs ${alg} digests; this digest is ${a.digest.algorithm}`);
      }
      digest = a.digest.value;
      signature = await key.signDigest(digest);
      label = `${alg}:${digest.toString('hex')}`;
    }
    const cert = session.cert.certificate.raw;
    const { tlogEntries, timestamps } = await this.#witness(services, signature, {
      v1: () => hashedRekordV001({ algorithm: alg, value: digest }, signature, cert),
      v2: () => hashedRekordV002(digest, signature, cert, key.keyDetails),
    });
    const parts: BundleParts = {
      certificate: cert,
      tlogEntries,
      timestamps,
      content: { kind: 'messageSignature', digest: { algorithm: alg, value: digest }, signature },
    };
    return this.#verify(parts, check, session, label);
  }

  /**
   * Signs many artifacts with one certificate, concurrently (log and TSA requests in parallel).
   * Resolves to the bundles in order, or rejects with the first failure. `onSigned` (optional)
   * is told each artifact's index as it is signed, and how many are done (a progress line).
   *
   * @example
   * ```ts
   * const bundles = await signer.signMany(['dist/a.whl', 'dist/b.tar.gz']);
   * ```
   */
  async signMany(artifacts: (Artifact | Uint8Array | string)[], onSigned?: (index: number, done: number) => void): Promise<BundleJson[]> {
    if (artifacts.length === 0) return [];
    this.preflight('artifact');
    await this.#getSession();
    return mapConcurrent(artifacts, this.#options.concurrency ?? 32, counted((a) => this.sign(a), onSigned), RAMP);
  }

  /**
   * Signs an in-toto statement as a DSSE envelope and returns its verified bundle. A statement
   * given as bytes or text is signed exactly as given (after checking it).
   *
   * @example
   * ```ts
   * const bundle = await signer.attest(readFileSync('statement.json'));
   * ```
   */
  async attest(statement: Statement | Buffer | string): Promise<BundleJson> {
    const { statement: st, payload } =
      typeof statement === 'string' || Buffer.isBuffer(statement)
        ? parseStatementForSigning(statement)
        : parseStatementForSigning(Buffer.from(JSON.stringify(statement), 'utf8'));
    const artifact = subjectArtifact(st);
    this.preflight('dsse');
    const services = this.#selectServices();
    const session = await this.#getSession();
    const key = session.key;
    const envelope: DsseEnvelope = createEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, (pae) => key.sign(pae));
    const cert = session.cert.certificate.raw;
    const { tlogEntries, timestamps } = await this.#witness(services, envelope.signature, {
      v1: () => dsseV001(JSON.stringify(envelopeToJson(envelope)), cert),
      // Rekor v2 takes hashedrekord entries only: the digest of the PAE (with the key's hash, as
      // its keyDetails say) and the envelope's signature over it.
      v2: () => hashedRekordV002(createHash(digestAlgorithm(key)).update(pae(envelope.payloadType, envelope.payload)).digest(), envelope.signature, cert, key.keyDetails),
    });
    const name = st.subject[0]?.name;
    return this.#verify({ certificate: cert, tlogEntries, timestamps, content: { kind: 'dsseEnvelope', envelope } }, artifact, session, name ? `the statement about ${name}` : 'the statement');
  }

  /**
   * Signs many statements with one certificate, concurrently (`onSigned` as in {@link Signer.signMany}).
   *
   * @example
   * ```ts
   * const bundles = await signer.attestMany(statements);
   * ```
   */
  async attestMany(statements: (Statement | Buffer | string)[], onSigned?: (index: number, done: number) => void): Promise<BundleJson[]> {
    if (statements.length === 0) return [];
    this.preflight('dsse');
    await this.#getSession();
    return mapConcurrent(statements, this.#options.concurrency ?? 32, counted((s) => this.attest(s), onSigned), RAMP);
  }
}

/** `fn` for mapConcurrent, telling `onDone` each item's index as it finishes and how many have. */
function counted<T, R>(fn: (item: T) => Promise<R>, onDone?: (index: number, done: number) => void): (item: T, i: number) => Promise<R> {
  let done = 0;
  return async (item, i) => {
    const r = await fn(item);
    onDone?.(i, ++done);
    return r;
  };
}
