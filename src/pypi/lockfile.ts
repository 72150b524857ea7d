/**
 * What an audit checks: the distributions a project locks, read from a PEP 751 `pylock.toml`,
 * a pip `requirements.txt` whose requirements are pinned with `==` and `--hash=sha256:...`, or a
 * directory of wheels and sdists (hashed here). Lock files are untrusted input: parsed strictly,
 * with bounded size; entries an audit cannot check (VCS, local directories, unpinned
 * requirements) are listed as skipped, with the reason.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SigstoreError, UsageError } from '../errors.js';
import { Distribution, normalizeProjectName, normalizeVersion, parseDistributionFilename } from './distribution.js';
import { parseToml, type TomlTable, type TomlValue } from './toml.js';

/**
 * One locked distribution, or a requirement pinned by hashes (its files are found on the index).
 *
 * @example
 * ```ts
 * const e: LockEntry = { project: 'rfc8785', version: '0.1.2', filename: 'rfc8785-0.1.2-py3-none-any.whl', sha256: ['...'], source: 'pylock.toml: packages[0].wheels[0]' };
 * ```
 */
export interface LockEntry {
  /** PEP 503 normalised project name. */
  project: string;
  /** PEP 440 normalised version, when the lock gives it. */
  version: string | undefined;
  /** The distribution's file name, when the lock names the file. */
  filename: string | undefined;
  /** The sha256 digests (lower-case hex) the lock accepts: one for a file, any number for a requirement. */
  sha256: string[];
  /** Where in the lock file it is (for messages). */
  source: string;
}

/**
 * An entry an audit cannot check, and why.
 *
 * @example
 * ```ts
 * const s: SkippedEntry = { name: 'mypkg', source: 'requirements.txt:3', reason: 'not pinned with ==' };
 * ```
 */
export interface SkippedEntry {
  name: string;
  source: string;
  reason: string;
}

/**
 * The distributions of a lock file or directory.
 *
 * @example
 * ```ts
 * const lock: Lock = readLock('pylock.toml');
 * console.log(lock.entries.length, lock.skipped.length);
 * ```
 */
export interface Lock {
  kind: 'pylock' | 'requirements' | 'directory';
  entries: LockEntry[];
  skipped: SkippedEntry[];
}

const MAX_LOCK_BYTES = 64 * 1024 * 1024;
const SHA256 = /^[0-9a-f]{64}$/;

function lockFail(what: string, m: string): never {
  throw new SigstoreError('LOCKFILE_INVALID', `${what}: ${m}`);
}

function isTable(v: TomlValue | undefined): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function tomlStr(v: TomlValue | undefined, where: string, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') lockFail(what, `${where} must be a non-empty string`);
  return v as string;
}

/** The file name of a pylock file entry: its `name`, or the last part of its `url` or `path`. */
function pylockFilename(f: TomlTable, where: string, what: string): string | undefined {
  const name = tomlStr(f.name, `${where}.name`, what);
  if (name !== undefined) return name;
  const url = tomlStr(f.url, `${where}.url`, what);
  if (url !== undefined) {
    try {
      return decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '') || undefined;
    } catch {
      lockFail(what, `${where}.url is not a URL`);
    }
  }
  const path = tomlStr(f.path, `${where}.path`, what);
  return path === undefined ? undefined : basename(path);
}

/**
 * Reads a PEP 751 lock file (`pylock.toml`, `pylock.NAME.toml`): every package's sdist and
 * wheels, with their sha256 hashes. Throws a SigstoreError (code `LOCKFILE_INVALID`).
 *
 * @example
 * ```ts
 * const lock = parsePylock(readFileSync('pylock.toml', 'utf8'), 'pylock.toml');
 * ```
 */
export function parsePylock(text: string, what: string): Lock {
  const doc = parseToml(text, what);
  const lv = doc['lock-version'];
  if (typeof lv !== 'string' || !/^1\.\d+$/.test(lv)) lockFail(what, `lock-version must be "1.x" (is ${JSON.stringify(lv ?? null)}); is this a PEP 751 lock file?`);
  const packages = doc.packages ?? [];
  if (!Array.isArray(packages)) lockFail(what, 'packages must be an array of tables');
  const entries: LockEntry[] = [];
  const skipped: SkippedEntry[] = [];
  for (const [i, p] of (packages as TomlValue[]).entries()) {
    const where = `packages[${i}]`;
    if (!isTable(p)) lockFail(what, `${where} must be a table`);
    const pkg = p as TomlTable;
    const name = tomlStr(pkg.name, `${where}.name`, what);
    if (name === undefined) lockFail(what, `${where}.name is missing`);
    const rawVersion = tomlStr(pkg.version, `${where}.version`, what);
    const version = rawVersion === undefined ? undefined : normalizeVersion(rawVersion);
    if (rawVersion !== undefined && version === undefined) lockFail(what, `${where}.version ${JSON.stringify(rawVersion)} is not a PEP 440 version`);
    const files: [string, TomlTable][] = [];
    if (pkg.sdist !== undefined) {
      if (!isTable(pkg.sdist)) lockFail(what, `${where}.sdist must be a table`);
      files.push([`${where}.sdist`, pkg.sdist as TomlTable]);
    }
    if (pkg.wheels !== undefined) {
      if (!Array.isArray(pkg.wheels)) lockFail(what, `${where}.wheels must be an array`);
      for (const [j, w] of (pkg.wheels as TomlValue[]).entries()) {
        if (!isTable(w)) lockFail(what, `${where}.wheels[${j}] must be a table`);
        files.push([`${where}.wheels[${j}]`, w as TomlTable]);
      }
    }
    if (files.length === 0) {
      const kind = ['vcs', 'directory', 'archive'].find((k) => pkg[k] !== undefined);
      skipped.push({ name: name!, source: `${what}: ${where}`, reason: kind ? `a ${kind} source, not a distribution from an index` : 'no sdist or wheels' });
      continue;
    }
    for (const [fw, f] of files) {
      const source = `${what}: ${fw}`;
      const filename = pylockFilename(f, fw, what);
      if (filename === undefined) lockFail(what, `${fw} has no name, url or path`);
      let parsed: ReturnType<typeof parseDistributionFilename>;
      try {
        parsed = parseDistributionFilename(filename!);
      } catch (e) {
        return lockFail(what, `${fw}: ${(e as Error).message}`);
      }
      if (parsed.project !== normalizeProjectName(name!)) lockFail(what, `${fw}: ${filename} is not a file of ${name}`);
      if (version !== undefined && parsed.version !== version) lockFail(what, `${fw}: ${filename} is not version ${rawVersion} of ${name}`);
      const hashes = f.hashes;
      if (!isTable(hashes)) lockFail(what, `${fw}.hashes must be a table`);
      const sha = (hashes as TomlTable).sha256;
      if (sha === undefined) {
        skipped.push({ name: filename!, source, reason: 'no sha256 hash in the lock file' });
        continue;
      }
      if (typeof sha !== 'string' || !SHA256.test(sha.toLowerCase())) lockFail(what, `${fw}.hashes.sha256 must be 64 hex digits`);
      entries.push({ project: parsed.project, version: parsed.version, filename: filename!, sha256: [(sha as string).toLowerCase()], source });
    }
  }
  return { kind: 'pylock', entries, skipped };
}

/** PEP 508 name with optional extras, then `==` or `===` and a version. */
const PINNED = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(===?)\s*([^\s;,]+)\s*(?:;.*)?$/;
const NAME_ONLY = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/;

/**
 * Reads a pip requirements file whose requirements are pinned (`name==version`) with
 * `--hash=sha256:...` options (as `pip-compile --generate-hashes` and `uv pip compile
 * --generate-hashes` write them). Includes (`-r`, `-c`) are refused; other options are ignored.
 *
 * @example
 * ```ts
 * const lock = parseRequirements(readFileSync('requirements.txt', 'utf8'), 'requirements.txt');
 * ```
 */
export function parseRequirements(text: string, what: string): Lock {
  const entries: LockEntry[] = [];
  const skipped: SkippedEntry[] = [];
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!;
    while (/\\$/.test(line) && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!}`;
    line = line.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    const source = `${what}:${start}`;
    if (/^(-r|--requirement|-c|--constraint)\b/.test(line)) lockFail(what, `line ${start}: includes (${line.split(/\s/)[0]}) are not supported; audit each file`);
    if (line.startsWith('-')) continue; // --index-url and other global options
    const hashes: string[] = [];
    let bad: string | undefined;
    const spec = line
      .replace(/--hash(?:=|\s+)(\S+)/g, (_m, h: string) => {
        const m = /^([a-z0-9]+):([0-9a-fA-F]+)$/.exec(h);
        if (!m) bad = h;
        else if (m[1] === 'sha256') {
          if (!SHA256.test(m[2]!.toLowerCase())) bad = h;
          else hashes.push(m[2]!.toLowerCase());
        }
        return ' ';
      })
      .trim();
    if (bad !== undefined) lockFail(what, `line ${start}: invalid --hash ${JSON.stringify(bad)}`);
    const m = PINNED.exec(spec);
    const name = m?.[1] ?? NAME_ONLY.exec(spec)?.[1] ?? spec;
    if (!m) {
      skipped.push({ name, source, reason: spec.includes('@') ? 'a direct URL requirement' : 'not pinned to one version with ==' });
      continue;
    }
    const version = normalizeVersion(m[3]!);
    if (version === undefined) {
      skipped.push({ name, source, reason: `version ${JSON.stringify(m[3])} is not a PEP 440 version` });
      continue;
    }
    if (hashes.length === 0) {
      skipped.push({ name, source, reason: 'no --hash=sha256:... pins (the files cannot be known)' });
      continue;
    }
    entries.push({ project: normalizeProjectName(name), version, filename: undefined, sha256: [...new Set(hashes)], source });
  }
  return { kind: 'requirements', entries, skipped };
}

/**
 * The wheels and sdists in a directory (not its subdirectories), hashed.
 *
 * @example
 * ```ts
 * const lock = await readDistributionDirectory('dist');
 * ```
 */
export async function readDistributionDirectory(dir: string): Promise<Lock> {
  const entries: LockEntry[] = [];
  const skipped: SkippedEntry[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!/\.(whl|tar\.gz|zip)$/.test(name)) continue;
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    let parsed: ReturnType<typeof parseDistributionFilename>;
    try {
      parsed = parseDistributionFilename(name);
    } catch (e) {
      skipped.push({ name, source: path, reason: (e as Error).message });
      continue;
    }
    const d = await Distribution.fromFile(path);
    entries.push({ project: parsed.project, version: parsed.version, filename: name, sha256: [d.digest], source: path });
  }
  return { kind: 'directory', entries, skipped };
}

/**
 * Reads what to audit from a path: a directory of distributions, a PEP 751 lock file
 * (`pylock.toml` or `pylock.NAME.toml`, or any `.toml` with `lock-version`), or a requirements file.
 *
 * @example
 * ```ts
 * const lock = await readLock('requirements.txt');
 * ```
 */
export async function readLock(path: string): Promise<Lock> {
  let st: import('node:fs').Stats;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError('INPUT_UNREADABLE', `cannot read ${path}: no such file or directory`);
  }
  if (st.isDirectory()) return readDistributionDirectory(path);
  if (!st.isFile()) throw new UsageError('INPUT_UNREADABLE', `cannot read ${path}: not a regular file`);
  if (st.size > MAX_LOCK_BYTES) throw new UsageError('INPUT_TOO_LARGE', `${path} is larger than ${MAX_LOCK_BYTES} bytes`);
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(path, 'utf8');
  if (path.endsWith('.toml')) return parsePylock(text, basename(path));
  return parseRequirements(text, basename(path));
}
