/**
 * Output files for the commands that write (sign, attest, PEP 740 attestations, ...):
 *
 * - {@link planOutputs} checks every planned output before any work starts: no output is given
 *   twice or is also an input, its directory exists and can be written (a probe file; free space
 *   for the outputs), and none exists already, not even as a link (dangling or not), unless
 *   `overwrite`. It also removes the temporary files earlier runs left in those directories when
 *   killed (see {@link removeStaleTemporaries}).
 * - {@link writeAtomic} writes one file atomically: a temporary file in the same directory,
 *   flushed to disk, then renamed over the target (or, without `overwrite`, linked to it, which
 *   fails if the target appeared meanwhile). An interrupted run leaves the old file or the
 *   complete new one, never a partial file.
 * - {@link writeAllAtomic} writes a set of files, and removes the ones it created when a later
 *   one fails.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, statfsSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SigstoreError, UsageError } from '../errors.js';
import { mapConcurrent } from '../lib/concurrent.js';

/**
 * One file to write.
 *
 * @example
 * ```ts
 * const out: OutputFile = { path: 'a.txt.sigstore.json', data: JSON.stringify(bundle) };
 * ```
 */
export interface OutputFile {
  path: string;
  data: string | Buffer;
  /** File mode for a new file (default 0o644, less the umask). */
  mode?: number;
}

/**
 * Checks planned outputs before any work (and any network request) is done. Throws a
 * {@link UsageError} naming every offending path: outputs that exist (without `overwrite`),
 * outputs given twice, outputs that are also inputs, missing or non-directory parents,
 * directories in the way.
 *
 * @example
 * ```ts
 * planOutputs(['a.txt.sigstore.json', 'b.txt.sigstore.json'], { overwrite: false, inputs: ['a.txt', 'b.txt'] });
 * ```
 */
export function planOutputs(paths: string[], options: { overwrite?: boolean; inputs?: string[] } = {}): void {
  const seen = new Map<string, string>();
  const inputs = new Set((options.inputs ?? []).filter((i) => i !== '-').map((i) => resolve(i)));
  const existing: string[] = [];
  const dirs = new Map<string, { shown: string; count: number }>();
  for (const p of paths) {
    const abs = resolve(p);
    const prev = seen.get(abs);
    if (prev !== undefined) throw new UsageError('OUTPUT_CONFLICT', `the output ${p} would be written twice${prev !== p ? ` (also as ${prev})` : ''}`);
    seen.set(abs, p);
    if (inputs.has(abs)) throw new UsageError('OUTPUT_CONFLICT', `the output ${p} is also an input`);
    const dir = dirname(abs);
    let dst: ReturnType<typeof statSync> | undefined;
    try {
      dst = statSync(dir);
    } catch {
      throw new UsageError('OUTPUT_DIRECTORY_MISSING', `cannot write ${p}: the directory ${dirname(p)} does not exist`);
    }
    if (!dst.isDirectory()) throw new UsageError('OUTPUT_DIRECTORY_MISSING', `cannot write ${p}: ${dirname(p)} is not a directory`);
    const d = dirs.get(dir) ?? { shown: dirname(p), count: 0 };
    d.count++;
    dirs.set(dir, d);
    // lstat: a link (dangling or not) is an existing output too.
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      st = lstatSync(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError('OUTPUT_UNWRITABLE', `cannot write ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (st) {
      if (st.isDirectory()) throw new UsageError('OUTPUT_CONFLICT', `cannot write ${p}: it is a directory`);
      existing.push(st.isSymbolicLink() ? `${p} (a link)` : p);
    }
  }
  if (existing.length > 0 && !options.overwrite) {
    throw new UsageError('OUTPUT_EXISTS', `Refusing to overwrite outputs without --overwrite: ${existing.join(', ')}`);
  }
  for (const [dir, d] of dirs) {
    removeStaleTemporaries(dir);
    checkWritable(dir, d.shown, d.count);
  }
}

/**
 * `--output-directory DIR` as sigstore-python treats it: created (with its parents) when missing,
 * refused when something else is in the way. Called before {@link planOutputs}, so before any
 * request: a directory that cannot be created stops the run before anything is signed.
 *
 * @example
 * ```ts
 * ensureOutputDirectory('dist/signatures');
 * ```
 */
export function ensureOutputDirectory(dir: string): void {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError('OUTPUT_UNWRITABLE', `cannot create the output directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; nothing was signed`);
  }
  if (st) {
    if (!st.isDirectory()) throw new UsageError('OUTPUT_DIRECTORY_MISSING', `Output directory exists and is not a directory: ${dir}`);
    return;
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError('OUTPUT_UNWRITABLE', `cannot create the output directory ${dir}: ${err.code ?? err.message}; nothing was signed`);
  }
}

/** Room kept per planned output (a bundle with a certificate, entries and timestamps is < 16 KiB). */
export const BYTES_PER_OUTPUT = 16 * 1024;

/**
 * Refuses a directory the outputs cannot be written to, before any work: a probe file is created,
 * written and removed (read-only file systems, permissions, a full disk), and the free space must
 * hold `count` outputs.
 */
function checkWritable(dir: string, shown: string, count: number): void {
  const refuse = (why: string): never => {
    throw new UsageError('OUTPUT_UNWRITABLE', `cannot write the outputs to ${shown}: ${why}; nothing was signed (choose another directory or make room)`);
  };
  const probe = join(dir, `.sigstore-write-check.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(probe, 'wx', 0o600);
    writeSync(fd, Buffer.alloc(1));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why: Record<string, string> = { EROFS: 'the file system is read-only', EACCES: 'permission denied', EPERM: 'permission denied', ENOSPC: 'no space left', EDQUOT: 'disk quota exceeded' };
    refuse(why[err.code ?? ''] ?? `${err.code ?? ''} ${err.message}`.trim());
  } finally {
    if (fd !== undefined) ignore(() => closeSync(fd!));
    ignore(() => unlinkSync(probe));
  }
  let free: number | undefined;
  try {
    const fs = statfsSync(dir);
    free = Number(fs.bavail) * Number(fs.bsize);
  } catch {
    free = undefined; // not available here: the probe is the check
  }
  const need = count * BYTES_PER_OUTPUT;
  if (free !== undefined && free < need) refuse(`only ${free} bytes are free, ${count} output${count === 1 ? '' : 's'} need about ${need}`);
}

/** The temporary files this module creates: `.NAME.PID.RANDOM.tmp`. */
const TEMPORARY = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** Temporary files older than this are stale even when their process id is in use again. */
const STALE_AFTER_MS = 60 * 60 * 1000;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes, from `dir`, the temporary files earlier runs of this program left when they were
 * killed: named as this module names them, owned by this user, and whose process is gone or which
 * are older than an hour. Returns how many were removed; failures are ignored (best effort).
 *
 * @example
 * ```ts
 * removeStaleTemporaries('dist');
 * ```
 */
export function removeStaleTemporaries(dir: string, now = Date.now()): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  const uid = process.getuid?.();
  let removed = 0;
  for (const name of names) {
    const m = TEMPORARY.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (!st.isFile() || (uid !== undefined && st.uid !== uid)) continue;
      if (alive(Number(m[1])) && now - st.mtimeMs < STALE_AFTER_MS) continue;
      unlinkSync(path);
      removed++;
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}

/** A temporary file written and flushed, waiting to be put in place. */
interface Staged {
  file: OutputFile;
  tmp: string;
}

/** Why a write failed, as the error the caller sees. */
function writeFailure(path: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EEXIST') return new UsageError('OUTPUT_EXISTS', `Refusing to overwrite ${path} (it appeared while signing) without --overwrite`);
  return new SigstoreError('OUTPUT_WRITE_FAILED', `cannot write ${path}: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' '), { cause: e });
}

/**
 * Writes `file` to a new temporary file beside it and flushes it to disk. Opening and writing are
 * synchronous (they reach the page cache in microseconds); only the flush waits for the disk,
 * on libuv's thread pool, so the flushes of several files overlap.
 */
async function stage(file: OutputFile): Promise<Staged> {
  const tmp = join(dirname(resolve(file.path)), `.${basename(file.path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', file.mode ?? 0o644);
    writeFileSync(fd, file.data);
    await new Promise<void>((ok, fail) => fsync(fd!, (e) => (e ? fail(e) : ok())));
    closeSync(fd);
    return { file, tmp };
  } catch (e) {
    if (fd !== undefined) ignore(() => closeSync(fd!));
    ignore(() => unlinkSync(tmp));
    throw writeFailure(file.path, e);
  }
}

/** Runs a clean-up step whose failure changes nothing (the file is gone or was never there). */
function ignore(f: () => void): void {
  try {
    f();
  } catch {
    // nothing to undo
  }
}

/**
 * Puts a staged file in place: renamed over the target, or (without `overwrite`) linked to it.
 * Synchronous: a rename or link is one metadata operation, and a round trip through the thread
 * pool per file cost more than the operation itself.
 */
function commit({ file, tmp }: Staged, overwrite: boolean): void {
  try {
    if (overwrite) {
      renameSync(tmp, file.path);
      return;
    }
    try {
      // link() refuses an existing target: no check-then-rename race.
      linkSync(tmp, file.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw e;
      // File systems without hard links: best effort.
      if (lexists(file.path)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
      renameSync(tmp, file.path);
      return;
    }
    ignore(() => unlinkSync(tmp));
  } catch (e) {
    throw writeFailure(file.path, e);
  }
}

/**
 * Writes `data` to `path` atomically (temporary file in the same directory, fsync, rename). With
 * `overwrite: false` an existing file is never replaced, even one created after the checks.
 *
 * @example
 * ```ts
 * await writeAtomic('a.txt.sigstore.json', JSON.stringify(bundle), { overwrite: true });
 * ```
 */
export async function writeAtomic(path: string, data: string | Buffer, options: { overwrite?: boolean; mode?: number } = {}): Promise<void> {
  await writeAllAtomic([{ path, data, ...(options.mode !== undefined ? { mode: options.mode } : {}) }], { overwrite: options.overwrite ?? false });
}

/** Makes renames durable (best effort: not every platform can open a directory). */
async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // not supported here
  }
}

/**
 * Writes several files atomically: every file is first written to a temporary file beside it
 * and flushed (concurrently), then all are put in place, then each directory is flushed once.
 * If one fails, nothing is left behind: the temporary files are removed, and so are the files
 * this call created (not the ones it overwrote); the error is thrown.
 *
 * @example
 * ```ts
 * await writeAllAtomic([{ path: 'a.sig', data: sig }, { path: 'a.crt', data: pem }], { overwrite: false });
 * ```
 */
export async function writeAllAtomic(files: OutputFile[], options: { overwrite?: boolean } = {}): Promise<void> {
  const overwrite = options.overwrite ?? false;
  const staged: (Staged | undefined)[] = new Array(files.length);
  const created: string[] = [];
  try {
    await mapConcurrent([...files.keys()], 16, async (i) => {
      staged[i] = await stage(files[i]!);
    });
    for (const s of staged as Staged[]) {
      const existed = existsSync(s.file.path);
      commit(s, overwrite);
      if (!existed) created.push(s.file.path);
    }
  } catch (e) {
    for (const s of staged) if (s) ignore(() => unlinkSync(s.tmp));
    for (const p of created) ignore(() => unlinkSync(p));
    throw e;
  }
  await mapConcurrent([...new Set(files.map((f) => dirname(resolve(f.path))))], 16, syncDir);
}

/** Whether anything (a file, a link, dangling or not) is at `path`. */
function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
