/**
 * An audit of a project's locked dependencies: for every distribution of a lock (see
 * lockfile.ts), its provenance is found (the provenance cache, else the index: PEP 691 page,
 * then PEP 740 provenance), checked against the lock's hash and the index's, and every
 * attestation is verified under its Trusted Publisher's policy, on one {@link VerifierPool}
 * (the calling thread and worker threads, as `verifyMany`, but with each bundle's own publisher
 * policy), as soon as its provenance is in. Each distribution ends verified (with its publisher), missing (no
 * provenance published), failed (why) or skipped (what the lock cannot say). With pins, a
 * verified distribution whose project's publisher differs from its pin fails.
 */
import { availableParallelism } from 'node:os';
import { BundleError, type SigstoreError, VerificationError } from '../errors.js';
import { mapConcurrent } from '../lib/concurrent.js';
import type { JsonObject } from '../lib/json.js';
import type { TrustMaterial } from '../trust/trusted-root.js';
import type { VerificationPolicy } from '../verify/policy.js';
import { VerifierPool } from '../verify/pool.js';
import { attestationToBundle } from './convert.js';
import { Distribution, parseDistributionFilename } from './distribution.js';
import type { IndexFile, PackageIndex } from './index-client.js';
import type { LockEntry, SkippedEntry } from './lockfile.js';
import { describePin, type Pins, type PublisherPin, pinOf, samePin } from './pins.js';
import { type Provenance, parseProvenance } from './provenance.js';
import type { ProvenanceCache } from './provenance-cache.js';
import { type Publisher, publisherPolicy, publisherToJson } from './publisher.js';
import { checkAttestationStatement } from './verify.js';

/**
 * What an audit found for one distribution.
 *
 * @example
 * ```ts
 * for (const r of report.results) console.log(r.status, r.filename ?? r.project, r.error?.message ?? '');
 * ```
 */
export interface AuditResult {
  status: 'verified' | 'missing' | 'failed' | 'skipped';
  project: string;
  version: string | undefined;
  /** The distribution (undefined for a requirement none of whose files could be found). */
  filename: string | undefined;
  sha256: string | undefined;
  /** Where in the lock it comes from. */
  source: string;
  /** Verified: the Trusted Publisher(s) of its provenance. */
  publishers?: Publisher[];
  /** Verified: the predicate types of the verified attestations. */
  attestations?: string[];
  /** Its provenance came from the cache. */
  cached?: boolean;
  /** With pins and accepted changes: the pin it had before. */
  pinChanged?: { from: PublisherPin; to: PublisherPin };
  /** Failed (or skipped): why. */
  error?: { code: string; step?: string; message: string };
}

/**
 * Options of {@link auditDistributions}.
 *
 * @example
 * ```ts
 * const options: AuditOptions = { index: new PackageIndex(), trust: await loadTrustMaterial() };
 * ```
 */
export interface AuditOptions {
  index: PackageIndex;
  trust: TrustMaterial;
  cache?: ProvenanceCache;
  /** The pins to hold verified publishers to (none: no pin check). */
  pins?: Pins;
  /** Record changed publishers instead of failing (`--update-pins`). */
  acceptPinChanges?: boolean;
  /** Verification threads (default: the available parallelism). */
  threads?: number;
  /** Lock entries looked up at once (HTTP in flight is bounded by the index client). */
  concurrency?: number;
  onProgress?: (phase: 'fetch' | 'verify', done: number, total: number) => void;
}

/**
 * An audit's outcome: one result per distribution (and skipped entry), the publishers seen (the
 * pins to write), and what it cost.
 *
 * @example
 * ```ts
 * const failed = report.results.filter((r) => r.status === 'failed').length;
 * ```
 */
export interface AuditReport {
  results: AuditResult[];
  /** The pins after this audit: the given ones, plus new projects (and accepted changes). */
  pins: Pins;
  /**
   * `fetchMs`: until the last lookup answered (verification runs meanwhile); `verifyMs`: the
   * verification still running after it, i.e. what verification adds to the wall time.
   */
  timings: { fetchMs: number; verifyMs: number };
  requests: number;
}

interface Candidate {
  result: AuditResult;
  provenance?: Provenance;
  raw?: Buffer | JsonObject;
  cached: boolean;
}

type Failure = { code: string; message: string };

/** A failure of one distribution: a library error with a code (anything else is a bug, rethrown), or a finding. */
function errorOf(e: Error | Failure): NonNullable<AuditResult['error']> {
  if (!(e instanceof Error)) return { code: e.code, message: e.message };
  const code = (e as SigstoreError).code;
  if (typeof code !== 'string') throw e;
  return { code, ...(e instanceof VerificationError ? { step: e.step } : {}), message: e.message };
}

function fail(r: AuditResult, e: unknown): AuditResult {
  return Object.assign(r, { status: 'failed' as const, error: errorOf(e as Error | Failure) });
}

/** Finds and reads one entry's provenance: the cache, else the index. */
async function lookup(entry: LockEntry, opts: AuditOptions): Promise<Candidate[]> {
  const base = { project: entry.project, version: entry.version, source: entry.source };
  const fromCache = (sha: string, filename: string | undefined): Candidate | undefined => {
    const hit = opts.cache?.get(sha);
    if (!hit) return undefined;
    let parsed: ReturnType<typeof parseDistributionFilename>;
    try {
      parsed = parseDistributionFilename(hit.filename);
    } catch {
      return undefined;
    }
    if (filename !== undefined ? parsed.normalized !== parseDistributionFilename(filename).normalized : parsed.project !== entry.project || parsed.version !== entry.version) return undefined;
    return { result: { ...base, status: 'verified', filename: filename ?? hit.filename, sha256: sha }, raw: hit.provenance, cached: true };
  };
  const fetchOne = async (file: IndexFile, sha: string): Promise<Candidate> => {
    const result: AuditResult = { ...base, status: 'verified', filename: entry.filename ?? file.filename, sha256: sha };
    if (file.sha256 !== undefined && file.sha256 !== sha) {
      return {
        result: fail(result, { code: 'PYPI_HASH_MISMATCH', message: `hash mismatch: ${file.filename} is sha256 ${sha} in the lock, but the index lists ${file.sha256}` }),
        cached: false,
      };
    }
    try {
      const raw = await opts.index.provenance(file);
      if (raw === undefined) return { result: Object.assign(result, { status: 'missing' as const }), cached: false };
      return { result, raw, cached: false };
    } catch (e) {
      return { result: fail(result, e), cached: false };
    }
  };

  if (entry.filename !== undefined) {
    const sha = entry.sha256[0]!;
    const hit = fromCache(sha, entry.filename);
    if (hit) return [hit];
    let file: IndexFile;
    try {
      file = await opts.index.file(entry.filename);
    } catch (e) {
      return [{ result: fail({ ...base, status: 'failed', filename: entry.filename, sha256: sha }, e), cached: false }];
    }
    return [await fetchOne(file, sha)];
  }
  // A requirement pinned by hashes: each hash is one of its files.
  const hits = entry.sha256.map((sha) => fromCache(sha, undefined));
  if (hits.every((h) => h !== undefined)) return hits as Candidate[];
  let files: IndexFile[];
  try {
    files = (await opts.index.project(entry.project)).files.filter((f) => f.parsed.version === entry.version);
  } catch (e) {
    return [{ result: fail({ ...base, status: 'failed', filename: undefined, sha256: undefined }, e), cached: false }];
  }
  return Promise.all(
    entry.sha256.map(async (sha, i) => {
      if (hits[i]) return hits[i]!;
      const file = files.find((f) => f.sha256 === sha);
      if (!file) {
        const r: AuditResult = { ...base, status: 'failed', filename: undefined, sha256: sha };
        return {
          result: fail(r, {
            code: 'PYPI_HASH_MISMATCH',
            message: `hash mismatch: no file of ${entry.project} ${entry.version} on the index has the pinned sha256 ${sha} (${files.length} file${files.length === 1 ? '' : 's'} of that version listed)`,
          }),
          cached: false,
        };
      }
      return fetchOne(file, sha);
    }),
  );
}

const publisherKey = (p: Publisher) => JSON.stringify(publisherToJson(p));

/** From how many distributions verification uses worker threads (below, it runs on the calling thread). */
const PARALLEL_MIN = 32;

function threadsFor(n: number, threads: number | undefined): number {
  return Math.max(1, threads ?? (n >= PARALLEL_MIN ? availableParallelism() : 1));
}

function startPool(trust: TrustMaterial, threads: number): Promise<VerifierPool> {
  return VerifierPool.start(trust, { workers: threads - 1, callingThread: true });
}

/**
 * Audits locked distributions (see the module comment). Never rejects for one distribution's
 * failure; rejects only when the verification machinery itself cannot run.
 *
 * @example
 * ```ts
 * import { PackageIndex, auditDistributions, loadTrustMaterial, readLock } from 'sigstore-ts';
 * const lock = await readLock('pylock.toml');
 * const report = await auditDistributions(lock.entries, lock.skipped, { index: new PackageIndex(), trust: await loadTrustMaterial() });
 * ```
 */
export async function auditDistributions(entries: LockEntry[], skipped: SkippedEntry[], opts: AuditOptions): Promise<AuditReport> {
  const t0 = performance.now();
  // The workers boot while the index is asked; each distribution's attestations are verified as
  // soon as its provenance is in, so verification overlaps the lookups of the others.
  const pool = startPool(opts.trust, threadsFor(entries.length, opts.threads));
  pool.catch(() => {}); // awaited below
  const policies = new Map<string, VerificationPolicy>();
  const verifications: Promise<void>[] = [];
  let submitted = 0;
  let verified = 0;
  const submit = (c: Candidate) => {
    if (c.result.status !== 'verified' || c.raw === undefined) return;
    try {
      c.provenance = parseProvenance(c.raw);
      if (!c.provenance.attestationBundles.some((b) => b.attestations.length > 0)) {
        throw new BundleError('PROVENANCE_EMPTY', 'the provenance has no attestations');
      }
      const dist = new Distribution(c.result.filename!, c.result.sha256!);
      const artifact = { digest: { algorithm: 'sha256' as const, value: Buffer.from(dist.digest, 'hex') } };
      const jobs: { policy: VerificationPolicy; bundle: JsonObject }[] = [];
      for (const b of c.provenance.attestationBundles) {
        const key = publisherKey(b.publisher);
        let policy = policies.get(key);
        if (!policy) {
          policy = publisherPolicy(b.publisher);
          policies.set(key, policy);
        }
        for (const a of b.attestations) jobs.push({ policy, bundle: attestationToBundle(a).json as unknown as JsonObject });
      }
      c.result.publishers = [...new Map(c.provenance.attestationBundles.map((b) => [publisherKey(b.publisher), b.publisher])).values()];
      c.result.attestations = [];
      submitted += jobs.length;
      for (const job of jobs) {
        verifications.push(
          pool.then(async (p) => {
            const o = await p.verify(job.bundle, artifact, job.policy);
            opts.onProgress?.('verify', ++verified, submitted);
            if (c.result.status !== 'verified') return;
            try {
              if (!o.ok) throw o.error;
              c.result.attestations!.push(checkAttestationStatement(o.result, dist).predicateType);
            } catch (e) {
              fail(c.result, e);
            }
          }),
        );
      }
    } catch (e) {
      fail(c.result, e);
    }
  };
  let done = 0;
  let found: Candidate[][];
  let t1: number;
  try {
    found = await mapConcurrent(entries, opts.concurrency ?? 64, async (e) => {
      const cs = await lookup(e, opts);
      for (const c of cs) submit(c);
      opts.onProgress?.('fetch', ++done, entries.length);
      return cs;
    });
    t1 = performance.now();
    await Promise.all(verifications);
  } finally {
    await pool.then((p) => p.close()).catch(() => {});
  }
  const candidates = found.flat();
  const t2 = performance.now();

  // Cache what verified; hold publishers to their pins.
  const pins: Pins = { version: 1, projects: { ...(opts.pins?.projects ?? {}) } };
  const seen = new Map<string, PublisherPin>();
  for (const c of candidates) {
    const r = c.result;
    if (r.status !== 'verified' || !r.publishers) continue;
    r.cached = c.cached;
    if (!c.cached && c.raw !== undefined) opts.cache?.put(r.sha256!, r.filename!, c.raw);
    if (!opts.pins) continue;
    for (const p of r.publishers) {
      const now = pinOf(p);
      const before = opts.pins.projects[r.project];
      const other = seen.get(r.project);
      if (before && !samePin(before, now)) {
        if (opts.acceptPinChanges) {
          r.pinChanged = { from: before, to: now };
          pins.projects[r.project] = now;
        } else {
          fail(r, {
            code: 'PIN_MISMATCH',
            message: `publisher changed: ${r.project} is pinned to ${describePin(before)}, but ${r.filename} was published by ${describePin(now)} (accept with --update-pins)`,
          });
          break;
        }
      } else if (!before && other && !samePin(other, now)) {
        fail(r, { code: 'PIN_MISMATCH', message: `${r.project} has files from two publishers: ${describePin(other)} and ${describePin(now)}` });
        break;
      } else if (!before) {
        pins.projects[r.project] = now;
      }
      seen.set(r.project, now);
    }
  }
  const results = [
    ...candidates.map((c) => c.result),
    ...skipped.map(
      (s): AuditResult => ({ status: 'skipped', project: s.name, version: undefined, filename: undefined, sha256: undefined, source: s.source, error: { code: 'SKIPPED', message: s.reason } }),
    ),
  ];
  return { results, pins, timings: { fetchMs: t1 - t0, verifyMs: t2 - t1 }, requests: opts.index.requests };
}
