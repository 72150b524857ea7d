/**
 * Python package distributions: wheels (PEP 427 / PEP 491 file names) and sdists (PEP 625 file
 * names, plus the legacy `.zip` form PyPI still serves), recognised by file name alone, with
 * PEP 440 version and PEP 503 project name normalisation. A distribution's identity in a PEP 740
 * statement is its file name plus its SHA-256 digest.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../errors.js';
import { trackHashing } from '../lib/hash-progress.js';

/**
 * A distribution file name, parsed and normalised.
 *
 * @example
 * ```ts
 * import { parseDistributionFilename } from 'sigstore-ts/pypi';
 * const f: DistributionFilename = parseDistributionFilename('Foo.Bar-1.0beta1-py3-none-any.whl');
 * console.log(f.project, f.version, f.normalized); // foo-bar 1.0b1 foo_bar-1.0b1-py3-none-any.whl
 * ```
 */
export interface DistributionFilename {
  /** The file name as given. */
  filename: string;
  kind: 'wheel' | 'sdist';
  /** The project name, PEP 503 normalised (lower case, runs of `-_.` become `-`). */
  project: string;
  /** The version, PEP 440 normalised (`01.0beta1` becomes `1.0b1`). */
  version: string;
  /** Wheels only: the optional build tag, normalised (`01a` becomes `1a`). */
  build: string | undefined;
  /** Wheels only: the compatibility tag sets, lower case, de-duplicated and sorted. */
  tags: { interpreters: string[]; abis: string[]; platforms: string[] } | undefined;
  extension: '.whl' | '.tar.gz' | '.zip';
  /**
   * The canonical file name: normalised project name (with `_`), normalised version and build
   * tag, sorted compressed tag sets. Two names denote the same distribution file exactly when
   * their canonical names are equal.
   */
  normalized: string;
}

function invalid(filename: string, reason: string): never {
  throw new UsageError('DIST_NAME_INVALID', `${JSON.stringify(filename)} is not a valid Python distribution file name: ${reason}`);
}

/** PEP 440, as `packaging.version.VERSION_PATTERN` (case-insensitive, no surrounding spaces). */
const VERSION_RE = new RegExp(
  '^v?' +
    '(?:(?<epoch>[0-9]+)!)?' +
    '(?<release>[0-9]+(?:\\.[0-9]+)*)' +
    '(?<pre>[-_.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pre_n>[0-9]+)?)?' +
    '(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_.]?(?<post_l>post|rev|r)[-_.]?(?<post_n2>[0-9]+)?))?' +
    '(?<dev>[-_.]?(?<dev_l>dev)[-_.]?(?<dev_n>[0-9]+)?)?' +
    '(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?$',
  'i',
);

/** A decimal integer without leading zeros (arbitrary size, as Python's `int`). */
function int(s: string): string {
  return BigInt(s).toString();
}

/**
 * Normalises a PEP 440 version string (as `str(packaging.version.Version(v))`), or returns
 * undefined when it is not a valid version.
 *
 * @example
 * ```ts
 * import { normalizeVersion } from 'sigstore-ts/pypi';
 * normalizeVersion('01.0-BETA.1'); // '1.0b1'
 * normalizeVersion('1.0.post'); // '1.0.post0'
 * normalizeVersion('charmander'); // undefined
 * ```
 */
export function normalizeVersion(version: string): string | undefined {
  const m = VERSION_RE.exec(version);
  if (!m?.groups) return undefined;
  const g = m.groups;
  let out = '';
  if (g.epoch !== undefined && int(g.epoch) !== '0') out += `${int(g.epoch)}!`;
  out += g
    .release!.split('.')
    .map((p) => int(p))
    .join('.');
  if (g.pre !== undefined) {
    const l = g.pre_l!.toLowerCase();
    const label = l === 'alpha' ? 'a' : l === 'beta' ? 'b' : l === 'c' || l === 'pre' || l === 'preview' ? 'rc' : l;
    out += `${label}${int(g.pre_n ?? '0')}`;
  }
  if (g.post !== undefined) out += `.post${int(g.post_n1 ?? g.post_n2 ?? '0')}`;
  if (g.dev !== undefined) out += `.dev${int(g.dev_n ?? '0')}`;
  if (g.local !== undefined) {
    out += `+${g.local
      .toLowerCase()
      .split(/[-_.]/)
      .map((p) => (/^[0-9]+$/.test(p) ? int(p) : p))
      .join('.')}`;
  }
  return out;
}

/** PEP 508 project names: ASCII letters and digits, with `.`, `_`, `-` inside. */
const PROJECT_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/**
 * PEP 503 normalisation of a project name: lower case, runs of `-`, `_`, `.` become one `-`.
 *
 * @example
 * ```ts
 * import { normalizeProjectName } from 'sigstore-ts/pypi';
 * normalizeProjectName('Foo__Bar.baz'); // 'foo-bar-baz'
 * ```
 */
export function normalizeProjectName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

const TAG_RE = /^[A-Za-z0-9_]+$/;

function tagSet(filename: string, part: string, what: string): string[] {
  const items = part.split('.');
  for (const t of items) if (!TAG_RE.test(t)) invalid(filename, `invalid ${what} tag ${JSON.stringify(t)}`);
  return [...new Set(items.map((t) => t.toLowerCase()))].sort();
}

function parseWheel(filename: string): DistributionFilename {
  const stem = filename.slice(0, -'.whl'.length);
  const parts = stem.split('-');
  if (parts.length !== 5 && parts.length !== 6) {
    invalid(filename, 'a wheel name has 5 or 6 dash-separated parts (name-version[-build]-python-abi-platform.whl)');
  }
  const [name, version] = parts as [string, string];
  if (!PROJECT_RE.test(name) || name.includes('__')) {
    invalid(filename, `invalid project name ${JSON.stringify(name)} (PEP 427: letters, digits, '.', single '_')`);
  }
  const v = normalizeVersion(version);
  if (v === undefined) invalid(filename, `invalid version ${JSON.stringify(version)} (PEP 440)`);
  let build: string | undefined;
  if (parts.length === 6) {
    const b = /^([0-9]+)([A-Za-z0-9_.]*)$/.exec(parts[2]!);
    if (!b) invalid(filename, `invalid build tag ${JSON.stringify(parts[2])} (must start with a digit)`);
    build = `${int(b![1]!)}${b![2]}`;
  }
  const [py, abi, plat] = parts.slice(-3) as [string, string, string];
  const tags = {
    interpreters: tagSet(filename, py, 'python'),
    abis: tagSet(filename, abi, 'ABI'),
    platforms: tagSet(filename, plat, 'platform'),
  };
  const project = normalizeProjectName(name);
  const normalized = [
    project.replace(/-/g, '_'),
    v,
    ...(build !== undefined ? [build] : []),
    tags.interpreters.join('.'),
    tags.abis.join('.'),
    tags.platforms.join('.'),
  ].join('-');
  return { filename, kind: 'wheel', project, version: v!, build, tags, extension: '.whl', normalized: `${normalized}.whl` };
}

function parseSdist(filename: string, extension: '.tar.gz' | '.zip'): DistributionFilename {
  const stem = filename.slice(0, -extension.length);
  const dash = stem.lastIndexOf('-');
  if (dash < 0) invalid(filename, `an sdist name is name-version${extension}`);
  const name = stem.slice(0, dash);
  const version = stem.slice(dash + 1);
  if (!PROJECT_RE.test(name)) invalid(filename, `invalid project name ${JSON.stringify(name)} (PEP 508: letters, digits, '.', '_', '-')`);
  const v = normalizeVersion(version);
  if (v === undefined) invalid(filename, `invalid version ${JSON.stringify(version)} (PEP 440)`);
  const project = normalizeProjectName(name);
  return {
    filename,
    kind: 'sdist',
    project,
    version: v!,
    build: undefined,
    tags: undefined,
    extension,
    normalized: `${project.replace(/-/g, '_')}-${v}${extension}`,
  };
}

/**
 * Parses a distribution file name (no directory): a wheel (`.whl`, PEP 427) or an sdist
 * (`.tar.gz`, PEP 625, or legacy `.zip`). Throws {@link UsageError} (code `DIST_NAME_INVALID`)
 * naming what is wrong, for anything else.
 *
 * @example
 * ```ts
 * import { parseDistributionFilename } from 'sigstore-ts/pypi';
 * const whl = parseDistributionFilename('rfc8785-0.1.2-py3-none-any.whl');
 * const sdist = parseDistributionFilename('pypi_attestations-0.0.19.tar.gz');
 * console.log(whl.kind, whl.project, sdist.kind, sdist.version); // wheel rfc8785 sdist 0.0.19
 * ```
 */
export function parseDistributionFilename(filename: string): DistributionFilename {
  if (filename.includes('/') || filename.includes('\\')) invalid(filename, 'a file name has no directory part');
  if (filename.endsWith('.whl')) return parseWheel(filename);
  if (filename.endsWith('.tar.gz')) return parseSdist(filename, '.tar.gz');
  if (filename.endsWith('.zip')) return parseSdist(filename, '.zip');
  return invalid(filename, 'unknown distribution format (expected a wheel .whl, or an sdist .tar.gz or .zip, in lower case)');
}

/**
 * Whether two distribution file names denote the same distribution once normalised
 * (project name, version, build tag, and wheel tag sets in any order). Both must be valid.
 *
 * @example
 * ```ts
 * import { sameDistributionFilename } from 'sigstore-ts/pypi';
 * sameDistributionFilename('Foo-1.0-py3.py2-none-any.whl', 'foo-1.0-py2.py3-none-any.whl'); // true
 * ```
 */
export function sameDistributionFilename(a: string, b: string): boolean {
  return parseDistributionFilename(a).normalized === parseDistributionFilename(b).normalized;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * A Python package distribution: its file name (validated) and SHA-256 digest (lower-case hex).
 *
 * @example
 * ```ts
 * import { Distribution } from 'sigstore-ts/pypi';
 * const dist = await Distribution.fromFile('dist/pkg-1.0.tar.gz');
 * console.log(dist.name, dist.digest);
 * const same = new Distribution('pkg-1.0.tar.gz', dist.digest);
 * ```
 */
export class Distribution {
  /** The file name (no directory), as signed into the statement's subject. */
  readonly name: string;
  /** SHA-256 of the file, lower-case hex. */
  readonly digest: string;
  /** The parsed file name. */
  readonly filename: DistributionFilename;

  constructor(name: string, digest: string) {
    this.filename = parseDistributionFilename(name);
    if (!SHA256_HEX.test(digest)) throw new UsageError('DIST_DIGEST_INVALID', `the digest of ${name} must be 64 lower-case hex digits (SHA-256)`);
    this.name = name;
    this.digest = digest;
  }

  /** Reads and hashes a distribution file (streamed); its name is the path's last component. */
  static async fromFile(path: string): Promise<Distribution> {
    const name = basename(path);
    parseDistributionFilename(name);
    const h = createHash('sha256');
    const progress = trackHashing(path, sizeOf(path));
    try {
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
        h.update(chunk as Buffer);
        progress.add((chunk as Buffer).length);
      }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new UsageError(
        'INPUT_UNREADABLE',
        `cannot read ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message}`,
      );
    } finally {
      progress.end();
    }
    return new Distribution(name, h.digest('hex'));
  }

  /** A distribution from its file name and contents in memory. */
  static fromBytes(name: string, data: Uint8Array): Distribution {
    return new Distribution(name, createHash('sha256').update(data).digest('hex'));
  }
}

/** A file's size for the progress line, or undefined (the read reports any error). */
function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}
