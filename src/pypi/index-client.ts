/**
 * A client of a Python package index: the JSON simple API (PEP 691, `Accept:
 * application/vnd.pypi.simple.v1+json`) to find a project's files and their hashes, the
 * Integrity API (PEP 740, `/integrity/<project>/<version>/<filename>/provenance`, or the file's
 * `provenance` URL in the simple API) for their provenance, and streaming downloads with the
 * index's hash checked. Every answer is hostile until verified: sizes are bounded, pages are
 * parsed strictly, and provenance is only returned as bytes for the caller to parse and verify.
 * HTTP requests in flight are bounded per client.
 */
import { createHash } from 'node:crypto';
import { NetworkError, SigstoreError, UsageError } from '../errors.js';
import { expectOk, request } from '../lib/http.js';
import { type Fail, obj, parseJson, str } from '../lib/json.js';
import { type DistributionFilename, normalizeProjectName, parseDistributionFilename } from './distribution.js';

/** The default index, as `pypi-attestations` uses it. */
export const DEFAULT_INDEX_URL = 'https://pypi.org';
export const SIMPLE_JSON = 'application/vnd.pypi.simple.v1+json';
export const INTEGRITY_JSON = 'application/vnd.pypi.integrity.v1+json';

/** Largest simple API page accepted (PyPI's largest projects list tens of thousands of files). */
const MAX_PAGE_BYTES = 64 * 1024 * 1024;
/** Largest provenance object accepted (a few attestations of ~10 KB each). */
const MAX_PROVENANCE_BYTES = 4 * 1024 * 1024;

/** One file of a project as the simple API lists it. */
export interface IndexFile {
  filename: string;
  parsed: DistributionFilename;
  /** Absolute URL (resolved against the page). */
  url: string;
  /** sha256 hex from `hashes`, when the index gives one. */
  sha256: string | undefined;
  /**
   * PEP 740: a URL of the file's provenance (absolute), `null` when the index says there is none,
   * undefined when the index does not say (then the Integrity API is asked).
   */
  provenance: string | null | undefined;
  yanked: boolean;
}

/** A project page of the simple API. */
export interface ProjectPage {
  name: string;
  url: string;
  files: IndexFile[];
}

/** Where an index's APIs live, from the URL a user gives (`https://pypi.org`, or `.../simple/`). */
export interface IndexUrls {
  /** The base of the simple API, ending with `/`. */
  simple: string;
  /** The base of the Integrity API, ending with `/`. */
  integrity: string;
  /** The URL as the user gave it (for messages). */
  display: string;
}

/**
 * Reads an index URL: `https://pypi.org` (the APIs under `/simple/` and `/integrity/`), or the
 * simple API's own URL (`https://pypi.org/simple/`, as pip's --index-url takes it). http is
 * allowed (private and loopback indexes); what the index serves is verified either way.
 */
export function indexUrls(url: string): IndexUrls {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError('USAGE', `--index-url ${JSON.stringify(url)} is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UsageError('USAGE', `--index-url ${url}: only http and https indexes are supported`);
  if (u.search || u.hash) throw new UsageError('USAGE', `--index-url ${url}: an index URL has no query or fragment`);
  const path = u.pathname.replace(/\/+$/, '');
  const base = `${u.origin}${path.replace(/\/simple$/, '')}`;
  return { simple: `${base}/simple/`, integrity: `${base}/integrity/`, display: url.replace(/\/+$/, '') };
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function indexFail(where: string): Fail {
  return (m: string) => {
    throw new SigstoreError('PYPI_INDEX_MALFORMED', `the index answered with an invalid project page for ${where}: ${m}`);
  };
}

/** Parses a PEP 691 project page strictly (unknown keys ignored; files that are not distributions skipped). */
export function parseProjectPage(body: Buffer, pageUrl: string, project: string): ProjectPage {
  const fail = indexFail(project);
  const o = obj(parseJson(body.toString('utf8'), 'the page', fail), 'the page', fail);
  const meta = obj(o.meta, 'meta', fail);
  const version = meta['api-version'];
  if (typeof version !== 'string' || !/^1\.\d+$/.test(version)) fail(`meta.api-version must be 1.x (is ${JSON.stringify(version ?? null)})`);
  const name = str(o.name, 'name', fail);
  if (normalizeProjectName(name) !== project) fail(`it is the page of ${JSON.stringify(name)}`);
  if (!Array.isArray(o.files)) fail('files must be an array');
  const files: IndexFile[] = [];
  for (const [i, f] of (o.files as unknown[]).entries()) {
    const p = `files[${i}]`;
    const fo = obj(f, p, fail);
    const filename = str(fo.filename, `${p}.filename`, fail);
    let parsed: DistributionFilename;
    try {
      parsed = parseDistributionFilename(filename);
    } catch {
      continue; // eggs, installers and other files that are not wheels or sdists
    }
    let url: string;
    const rawUrl = str(fo.url, `${p}.url`, fail);
    try {
      url = new URL(rawUrl, pageUrl).href;
    } catch {
      return fail(`${p}.url is not a URL`);
    }
    const hashes = obj(fo.hashes, `${p}.hashes`, fail);
    const sha = hashes.sha256;
    if (sha !== undefined && (typeof sha !== 'string' || !SHA256_HEX.test(sha.toLowerCase()))) fail(`${p}.hashes.sha256 must be 64 hex digits`);
    let provenance: string | null | undefined;
    if (fo.provenance === null) provenance = null;
    else if (fo.provenance !== undefined) {
      const raw = str(fo.provenance, `${p}.provenance`, fail);
      try {
        provenance = new URL(raw, pageUrl).href;
      } catch {
        return fail(`${p}.provenance is not a URL`);
      }
    }
    const yanked = fo.yanked !== undefined && fo.yanked !== false;
    files.push({ filename, parsed, url, sha256: typeof sha === 'string' ? sha.toLowerCase() : undefined, provenance, yanked });
  }
  return { name, url: pageUrl, files };
}

/** A counting semaphore: at most `limit` holders at once. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * Options of a {@link PackageIndex}.
 *
 * @example
 * ```ts
 * const options: PackageIndexOptions = { concurrency: 8 };
 * ```
 */
export interface PackageIndexOptions {
  /** HTTP requests in flight at once (default 16). */
  concurrency?: number;
  /** Per-attempt timeout in ms (default 30 s). */
  timeoutMs?: number;
  /** Attempts for transient failures (default 3). */
  attempts?: number;
}

/**
 * A Python package index (PEP 691 JSON simple API and PEP 740 Integrity API).
 *
 * @example
 * ```ts
 * import { PackageIndex } from 'sigstore-ts';
 * const index = new PackageIndex('https://pypi.org');
 * const file = await index.file('pypi_attestations-0.0.19.tar.gz');
 * const provenance = await index.provenance(file); // the bytes PyPI serves, or undefined
 * ```
 */
export class PackageIndex {
  readonly urls: IndexUrls;
  /** HTTP requests made so far (every attempt's request counts once). */
  requests = 0;
  private readonly limiter: Limiter;
  private readonly pages = new Map<string, Promise<ProjectPage>>();

  constructor(
    indexUrl: string = DEFAULT_INDEX_URL,
    private readonly options: PackageIndexOptions = {},
  ) {
    this.urls = indexUrls(indexUrl);
    this.limiter = new Limiter(Math.max(1, options.concurrency ?? 16));
  }

  private get(url: string, accept: string, maxBytes: number, what: string) {
    return this.limiter.run(async () => {
      this.requests++;
      try {
        return await request({
          url,
          headers: { accept },
          service: `the index ${this.urls.display}`,
          maxBytes,
          timeoutMs: this.options.timeoutMs,
          attempts: this.options.attempts ?? 3,
          backoffMs: 100,
        });
      } catch (e) {
        if (e instanceof NetworkError) throw new NetworkError('PYPI_INDEX_ERROR', `cannot get ${what}: ${e.message}`, { cause: e });
        throw e;
      }
    });
  }

  /** The simple API page of a project (name normalised), fetched once per client. */
  project(name: string): Promise<ProjectPage> {
    const project = normalizeProjectName(name);
    let page = this.pages.get(project);
    if (!page) {
      page = this.fetchProject(project);
      this.pages.set(project, page);
    }
    return page;
  }

  private async fetchProject(project: string): Promise<ProjectPage> {
    const url = `${this.urls.simple}${encodeURIComponent(project)}/`;
    const res = await this.get(url, SIMPLE_JSON, MAX_PAGE_BYTES, `the project page of ${project}`);
    if (res.status === 404) throw new SigstoreError('PYPI_PROJECT_NOT_FOUND', `no such project: ${project} is not on the index ${this.urls.display}`);
    try {
      expectOk(res, `the index ${this.urls.display}`, `the project page of ${project}`);
    } catch (e) {
      throw new NetworkError('PYPI_INDEX_ERROR', (e as Error).message, { cause: e, status: res.status });
    }
    const type = String(res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== SIMPLE_JSON) {
      throw new SigstoreError(
        'PYPI_INDEX_MALFORMED',
        `the index ${this.urls.display} answered the project page of ${project} with ${JSON.stringify(type || '(no content type)')}, not ${SIMPLE_JSON} (it must speak the JSON simple API, PEP 691)`,
      );
    }
    return parseProjectPage(res.body, url, project);
  }

  /**
   * A file by its name, looked up in its project's page (file names compared normalised).
   * Rejects with code `PYPI_FILE_NOT_FOUND` when the project does not list it.
   */
  async file(filename: string): Promise<IndexFile> {
    const parsed = parseDistributionFilename(filename);
    const page = await this.project(parsed.project);
    const found = page.files.find((f) => f.filename === filename) ?? page.files.find((f) => f.parsed.normalized === parsed.normalized);
    if (!found) throw new SigstoreError('PYPI_FILE_NOT_FOUND', `no such file: ${filename} is not among the ${page.files.length} distributions of ${page.name} on ${this.urls.display}`);
    return found;
  }

  /** The Integrity API URL of a file's provenance. */
  integrityUrl(file: { parsed: DistributionFilename; filename: string }): string {
    const enc = encodeURIComponent;
    return `${this.urls.integrity}${enc(file.parsed.project)}/${enc(file.parsed.version)}/${enc(file.filename)}/provenance`;
  }

  /**
   * The provenance of a file, as the bytes the index served (to parse and verify), or undefined
   * when the index has none (the simple API says `provenance: null`, or the Integrity API answers 404).
   */
  async provenance(file: Pick<IndexFile, 'parsed' | 'filename' | 'provenance'>): Promise<Buffer | undefined> {
    if (file.provenance === null) return undefined;
    const url = file.provenance ?? this.integrityUrl(file);
    const res = await this.get(url, `${INTEGRITY_JSON}, application/json;q=0.9`, MAX_PROVENANCE_BYTES, `the provenance of ${file.filename}`);
    if (res.status === 404) return undefined;
    try {
      expectOk(res, `the index ${this.urls.display}`, `the provenance of ${file.filename}`);
    } catch (e) {
      throw new NetworkError('PYPI_INDEX_ERROR', (e as Error).message, { cause: e, status: res.status });
    }
    return res.body;
  }

  /**
   * Downloads a file, streaming, and checks its sha256 against `expected` (the index's or a lock
   * file's). Resolves to the digest; rejects with code `PYPI_HASH_MISMATCH` when it differs.
   * The bytes are hashed as they arrive and not kept.
   */
  download(url: string, expected: string | undefined, filename: string): Promise<string> {
    return this.limiter.run(async () => {
      const digest = await streamDigest(url, this.options.timeoutMs ?? 30_000, () => this.requests++);
      if (expected !== undefined && digest !== expected) {
        throw new SigstoreError('PYPI_HASH_MISMATCH', `hash mismatch: ${filename} downloaded from ${url} has sha256 ${digest}, but the index lists ${expected}`);
      }
      return digest;
    });
  }
}

/** GETs `url` (following up to 5 redirects) and hashes the body as it streams. */
async function streamDigest(url: string, idleMs: number, counted: () => void, redirects = 5): Promise<string> {
  const u = new URL(url);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new NetworkError('URL_INVALID', `unsupported URL scheme in ${url}`);
  const mod = u.protocol === 'https:' ? await import('node:https') : await import('node:http');
  counted();
  return new Promise<string>((resolve, reject) => {
    const fail = (m: string) => reject(new NetworkError('PYPI_INDEX_ERROR', `cannot download ${url}: ${m}`));
    const req = mod.get(u, { headers: { 'user-agent': 'sigstore-ts' }, timeout: idleMs }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && redirects > 0) {
        res.resume();
        streamDigest(new URL(res.headers.location, u).href, idleMs, counted, redirects - 1).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        res.resume();
        return fail(`HTTP ${status}`);
      }
      const h = createHash('sha256');
      res.on('data', (c: Buffer) => h.update(c));
      res.on('error', (e) => fail(e.message));
      res.on('end', () => (res.complete ? resolve(h.digest('hex')) : fail('the response was cut off')));
    });
    req.on('timeout', () => req.destroy(new Error(`no data for ${idleMs} ms`)));
    req.on('error', (e) => fail(e.message));
  });
}
