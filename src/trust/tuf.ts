/**
 * TUF updates with tuf-js: a full client workflow (root rotation, timestamp, snapshot, targets,
 * then the Sigstore targets) against one repository, over the project's HTTP layer (proxies,
 * NO_PROXY, extra CA certificates, timeouts).
 *
 * The update runs in a private working directory seeded with a copy of the cached metadata, so
 * a refused or interrupted update leaves the cache exactly as it was; the caller commits the
 * verified result (see cache.ts). This module is the only one that loads tuf-js, and it is
 * itself loaded (`await import`) only when a refresh is needed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Fetcher } from 'tuf-js';
import { NetworkError, SigstoreError, TrustError } from '../errors.js';
import { request } from '../lib/http.js';
import { isObject } from '../lib/json.js';
import {
  type CachePaths,
  type CacheUpdate,
  METADATA_FILES,
  readTarget,
  signedInfo,
  TARGET_NAMES,
  TRUSTED_ROOT_TARGET,
  type TufSnapshot,
  verifyMetadata,
} from './cache.js';
import type { TufInstance } from './instances.js';
import { parseTrustedRoot } from './trusted-root.js';
import { parseStrictJson } from '../lib/strict-json.js';
import type { ErrorCode } from '../errors.js';

/** How a refresh may use the network, and what it starts from. */
export interface RefreshOptions {
  /**
   * Root metadata to trust when the cache has none (or an older version): the embedded root of
   * a public-good instance, or the root a user pins with `trust-instance`.
   */
  bootstrapRoot?: Buffer;
  /**
   * The verified metadata to start from (from the cache: the whole chain when it verifies,
   * else its root alone when that verifies, else nothing). Never unverified files.
   */
  trusted?: Map<string, Buffer>;
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number;
  /** Attempts per request for transient failures (default 3). */
  attempts?: number;
  /** An absolute deadline (epoch ms) for the whole update, retries included. */
  deadline?: number;
}

/** A verified update, ready to be committed to the cache. */
export interface RefreshResult extends TufSnapshot {
  update: CacheUpdate;
}

/** tuf-js's HTTP error type: its root update loop stops on a 403/404 of this class. */
type DownloadHTTPErrorClass = new (message: string, statusCode: number) => Error;

/**
 * A tuf-js Fetcher over src/lib/http.ts. It remembers the first failure (tuf-js wraps some
 * errors into plain messages), so the update reports a network failure as a NetworkError.
 */
class HttpFetcher implements Fetcher {
  failure: SigstoreError | undefined;
  /** Every `N.root.json` the repository served (tuf-js verifies each before it moves on). */
  readonly roots = new Map<string, Buffer>();
  private n = 0;
  constructor(
    private readonly workDir: string,
    private readonly opts: RefreshOptions,
    private readonly DownloadHTTPError: DownloadHTTPErrorClass,
  ) {}

  async downloadBytes(url: string, maxLength: number): Promise<Buffer> {
    let timeoutMs = this.opts.timeoutMs ?? 30_000;
    if (this.opts.deadline !== undefined) {
      const left = this.opts.deadline - Date.now();
      if (left <= 0) throw this.fail(new NetworkError('TUF_TIMEOUT', `TUF repository at ${new URL(url).origin} did not answer in time`));
      timeoutMs = Math.max(1, Math.min(timeoutMs, left));
    }
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request({
        url,
        service: 'TUF',
        timeoutMs,
        attempts: this.opts.attempts ?? 3,
        backoffMs: 200,
        maxBytes: maxLength,
        ...(this.opts.deadline !== undefined ? { deadline: this.opts.deadline } : {}),
      });
    } catch (e) {
      if (e instanceof NetworkError && /larger than/.test(e.message)) {
        // An oversized answer is the repository's fault (endless data attack), not the network's.
        throw this.fail(new TrustError('TUF_TOO_LARGE', `TUF update from ${new URL(url).origin} refused: ${url} is larger than its metadata allows (${maxLength} bytes)`));
      }
      throw this.fail(e instanceof NetworkError ? e : new NetworkError('TUF_UNREACHABLE', `TUF request to ${url} failed: ${(e as Error).message}`));
    }
    if (res.status < 200 || res.status > 299) {
      // A missing next root version is how the root update loop ends: not a failure.
      const rootProbe = /\/\d+\.root\.json$/.test(new URL(url).pathname) && (res.status === 403 || res.status === 404);
      if (!rootProbe) this.fail(new NetworkError('TUF_HTTP_ERROR', `TUF repository answered HTTP ${res.status} for ${url}`, { status: res.status }));
      throw new this.DownloadHTTPError(`HTTP ${res.status} for ${url}`, res.status);
    }
    const root = /\/(\d+\.root\.json)$/.exec(new URL(url).pathname);
    if (root) this.roots.set(root[1]!, res.body);
    return res.body;
  }

  async downloadFile<T>(url: string, maxLength: number, handler: (file: string) => Promise<T>): Promise<T> {
    const data = await this.downloadBytes(url, maxLength);
    const file = join(this.workDir, `download-${++this.n}`);
    writeFileSync(file, data);
    try {
      return await handler(file);
    } finally {
      rmSync(file, { force: true });
    }
  }

  private fail<E extends SigstoreError>(e: E): E {
    this.failure ??= e;
    return e;
  }
}

/** Turns a tuf-js refusal into a TrustError that names the attack it prevents. */
export function describeTufError(e: unknown, repo: string): SigstoreError {
  if (e instanceof SigstoreError) return e;
  const name = (e as Error)?.constructor?.name ?? '';
  const msg = String((e as Error)?.message ?? e)
    .replace(/ error (\w*Error: )?/, ': ')
    .replace(/\s+/g, ' ')
    .trim();
  const refused = (code: ErrorCode, what: string) => new TrustError(code, `TUF update from ${repo} refused: ${what}: ${msg}`, { cause: e });
  if (name === 'UnsignedMetadataError' || /signed by \d+\/\d+ keys/.test(msg)) {
    return refused('TUF_THRESHOLD', 'metadata not signed by a threshold of trusted keys (arbitrary metadata attack)');
  }
  if (name === 'ExpiredMetadataError' || /expired/i.test(msg)) return refused('TUF_EXPIRED', 'expired metadata (freeze attack, or an unmaintained repository)');
  if (name === 'LengthOrHashMismatchError' || /Expected (hash|length)/.test(msg)) {
    return refused('TUF_HASH_MISMATCH', 'a file whose hash or length differs from its signed metadata (mix-and-match or tampering)');
  }
  if (name === 'BadVersionError' || name === 'EqualVersionError' || /version/i.test(msg)) {
    return refused('TUF_ROLLBACK', 'an older or inconsistent metadata version (rollback or mix-and-match attack)');
  }
  if (name === 'DownloadLengthMismatchError' || /Max length/.test(msg)) return refused('TUF_TOO_LARGE', 'a file larger than its metadata allows (endless data attack)');
  return refused('TUF_UPDATE_FAILED', 'invalid metadata');
}

/**
 * Runs a TUF update for `instance` and downloads its Sigstore targets. Resolves with the
 * verified metadata and targets (not yet committed); rejects with a {@link NetworkError} when
 * the repository could not be reached, or a {@link TrustError} when TUF refused what it served.
 */
export async function refreshTuf(instance: TufInstance, paths: CachePaths, opts: RefreshOptions = {}): Promise<RefreshResult> {
  const repo = instance.metadataUrl;
  let work: string;
  try {
    work = mkdtempSync(join(tmpdir(), 'sigstore-ts-tuf-'));
  } catch (e) {
    throw new TrustError('TUF_WORKDIR', `cannot create a working directory for the TUF update in ${tmpdir()}: ${(e as Error).message}`);
  }
  try {
    seed(work, instance, opts);
    const [tufMod, errMod] = await Promise.all([import('tuf-js'), import('tuf-js/dist/error.js')]);
    const { Updater } = cjs(tufMod);
    const { DownloadHTTPError } = cjs(errMod);
    const fetcher = new HttpFetcher(work, opts, DownloadHTTPError);
    let updater: InstanceType<typeof Updater>;
    try {
      updater = new Updater({ metadataDir: work, metadataBaseUrl: repo, targetBaseUrl: instance.targetsUrl, fetcher, config: { userAgent: 'sigstore-ts' } });
    } catch (e) {
      throw new TrustError('TUF_ROOT_INVALID', `the trusted TUF root of ${repo} is not valid root metadata: ${(e as Error).message}`, { cause: e });
    }
    const targets = new Map<string, Buffer>();
    try {
      await updater.refresh();
      for (const name of TARGET_NAMES) {
        const info = await updater.getTargetInfo(name);
        if (!info) {
          if (name === TRUSTED_ROOT_TARGET) throw new TrustError('TUF_TARGET_MISSING', `the TUF repository ${repo} does not publish ${name}`);
          continue;
        }
        const sha256 = info.hashes.sha256;
        let data = sha256 ? readTarget(paths, name, { length: info.length, sha256 }) : undefined;
        if (data) await info.verify(Readable.from([data]));
        else {
          const file = join(work, `target-${encodeURIComponent(name)}`);
          await updater.downloadTarget(info, file);
          data = readFileSync(file);
        }
        targets.set(name, data);
      }
    } catch (e) {
      if (fetcher.failure && !(e instanceof TrustError)) throw fetcher.failure;
      throw describeTufError(e, repo);
    }
    return result(work, repo, targets, opts.bootstrapRoot, new Map([...(opts.trusted ?? []), ...fetcher.roots]));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A CommonJS module's exports, whether the bundler exposed them as named exports or as `default`. */
function cjs<T extends object>(mod: T): T {
  const named = Object.keys(mod).some((k) => k !== 'default' && k !== '__esModule');
  return named ? mod : ((mod as { default?: T }).default ?? mod);
}

/** Seeds the working directory: the trusted (verified) metadata, with the bootstrap root when it is newer. */
function seed(work: string, instance: TufInstance, opts: RefreshOptions): void {
  const trusted = new Map(opts.trusted ?? []);
  const cachedRoot = signedInfo(trusted.get('root.json'));
  const boot = opts.bootstrapRoot;
  const bootInfo = signedInfo(boot);
  if (boot && !bootInfo) throw new TrustError('TUF_ROOT_INVALID', `the TUF root given for ${instance.metadataUrl} is not TUF root metadata`);
  if (!cachedRoot) trusted.clear();
  if (boot && bootInfo && (!cachedRoot || bootInfo.version > cachedRoot.version)) {
    // A newer shipped root replaces the cached chain (its keys may differ).
    trusted.clear();
    trusted.set('root.json', boot);
  }
  if (!trusted.has('root.json')) {
    throw new TrustError(
      'INSTANCE_NOT_TRUSTED',
      instance.kind === 'custom'
        ? `the instance ${instance.metadataUrl} is not trusted yet: pin its TUF root first with \`sigstore trust-instance ROOT_JSON --instance ${instance.metadataUrl}\``
        : `no TUF root for ${instance.name}`,
    );
  }
  for (const [f, data] of trusted) writeFileSync(join(work, f), data);
}

function result(work: string, repo: string, targets: Map<string, Buffer>, anchor: Buffer | undefined, seen: Map<string, Buffer>): RefreshResult {
  const metadata = new Map<string, Buffer>();
  for (const f of METADATA_FILES) metadata.set(f, readFileSync(join(work, f)));
  // The roots between the shipped root and the new one, so every later read can trace it back.
  const from = signedInfo(anchor)?.version;
  const to = signedInfo(metadata.get('root.json'))?.version;
  if (from !== undefined && to !== undefined) {
    for (let v = from + 1; v < to; v++) {
      const r = seen.get(`${v}.root.json`);
      if (r) metadata.set(`${v}.root.json`, r);
    }
  }
  // A second, independent check of what tuf-js accepted, and the earliest expiry of the four roles.
  const { chain: _chain, ...snap } = verifyMetadata(metadata, (name) => targets.get(name), {
    code: 'TUF_UPDATE_FAILED',
    what: `TUF update from ${repo} refused`,
    ...(anchor ? { anchor } : {}),
  });
  // A trusted root the verifier could not use must not replace a good one.
  let json: unknown;
  try {
    json = parseStrictJson(snap.trustedRoot.toString('utf8'));
  } catch {
    throw new TrustError('TRUSTED_ROOT_INVALID', `the ${TRUSTED_ROOT_TARGET} published by ${repo} is not valid JSON`);
  }
  parseTrustedRoot(json as Record<string, unknown>, `${TRUSTED_ROOT_TARGET} from ${repo}`);
  for (const [name, data] of [
    ['signing_config.v0.2.json', snap.signingConfig],
    ['signing_config_rekor_v2.v0.2.json', snap.rekorV2SigningConfig],
  ] as const) {
    if (!data) continue;
    let sc: unknown;
    try {
      sc = parseStrictJson(data.toString('utf8'));
    } catch {
      sc = undefined;
    }
    if (!isObject(sc)) throw new TrustError('SIGNING_CONFIG_INVALID', `the ${name} published by ${repo} is not a JSON object`);
  }
  return { ...snap, update: { metadata, targets } };
}
