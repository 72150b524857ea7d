/**
 * A content-addressed cache of PyPI provenance: each distribution's provenance is kept under its
 * file's sha256 digest (`<dir>/<first two hex digits>/<sha256>.json`), in
 * `${XDG_CACHE_HOME:-~/.cache}/sigstore-ts/pypi-provenance` by default. A distribution's bytes
 * never change for a given digest, nor (PEP 740) does what was published with them, so an audit
 * that finds a digest here asks the index nothing. What the cache holds is provenance, which is
 * verified again on every use against the trust material of that run: the cache is as trusted
 * as the index it came from, and a damaged entry is only a miss. Writes are atomic; a cache that
 * cannot be written is not an error.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isObject, type JsonObject } from '../lib/json.js';

const SHA256 = /^[0-9a-f]{64}$/;
/** Largest entry read back (provenance objects are a few KB each). */
const MAX_ENTRY_BYTES = 4 * 1024 * 1024;

/**
 * One cached provenance: the distribution's file name and the provenance object as the index served it.
 *
 * @example
 * ```ts
 * const hit: CachedProvenance | undefined = cache.get(sha256);
 * if (hit) parseProvenance(hit.provenance);
 * ```
 */
export interface CachedProvenance {
  filename: string;
  provenance: JsonObject;
}

/**
 * The provenance cache (see the module comment).
 *
 * @example
 * ```ts
 * import { ProvenanceCache } from 'sigstore-ts';
 * const cache = new ProvenanceCache(); // ~/.cache/sigstore-ts/pypi-provenance
 * cache.put(dist.digest, dist.name, provenanceBytes);
 * ```
 */
export class ProvenanceCache {
  readonly dir: string;
  /** Entries found and entries written during this run. */
  hits = 0;
  writes = 0;

  constructor(dir?: string, env: NodeJS.ProcessEnv = process.env) {
    this.dir = dir ?? ProvenanceCache.defaultDir(env);
  }

  /** `${XDG_CACHE_HOME:-~/.cache}/sigstore-ts/pypi-provenance` */
  static defaultDir(env: NodeJS.ProcessEnv = process.env): string {
    const cache = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(env.HOME || homedir(), '.cache');
    return join(cache, 'sigstore-ts', 'pypi-provenance');
  }

  private path(sha256: string): string {
    return join(this.dir, sha256.slice(0, 2), `${sha256}.json`);
  }

  /** The provenance cached for a distribution digest, or undefined (absent or unreadable). */
  get(sha256: string): CachedProvenance | undefined {
    if (!SHA256.test(sha256)) return undefined;
    let data: Buffer;
    try {
      data = readFileSync(this.path(sha256));
    } catch {
      return undefined;
    }
    if (data.length > MAX_ENTRY_BYTES) return undefined;
    try {
      const o = JSON.parse(data.toString('utf8')) as unknown;
      if (!isObject(o) || o.version !== 1 || o.sha256 !== sha256 || typeof o.filename !== 'string' || !isObject(o.provenance)) return undefined;
      this.hits++;
      return { filename: o.filename, provenance: o.provenance };
    } catch {
      return undefined;
    }
  }

  /** Records a distribution's provenance (the bytes the index served, which must be JSON). */
  put(sha256: string, filename: string, provenance: Buffer | JsonObject): void {
    if (!SHA256.test(sha256)) return;
    const path = this.path(sha256);
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const prov = Buffer.isBuffer(provenance) ? (JSON.parse(provenance.toString('utf8')) as JsonObject) : provenance;
      mkdirSync(join(this.dir, sha256.slice(0, 2)), { recursive: true });
      writeFileSync(tmp, JSON.stringify({ version: 1, sha256, filename, provenance: prov }), { mode: 0o644 });
      renameSync(tmp, path);
      this.writes++;
    } catch {
      rmSync(tmp, { force: true });
    }
  }
}
