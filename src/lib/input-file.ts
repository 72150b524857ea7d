/**
 * Reading an artifact file the user named, as signing and verification both do: small files
 * are read with synchronous calls, and a file that cannot be read is one usage error.
 */
import { UsageError } from '../errors.js';

/** Files up to this size are read with synchronous reads (no stream, no thread-pool round trips). */
export const SYNC_READ_MAX = 1024 * 1024;

/** Why `path` cannot be read, as the error the caller sees (`INPUT_UNREADABLE`). */
export function unreadable(path: string, e: unknown): UsageError {
  return new UsageError('INPUT_UNREADABLE', `cannot read ${path}: ${readFailure(e)}`);
}

/**
 * Words why a file could not be read, for the end of a one-line error that already names the
 * file: "no such file", "permission denied", "is a directory", ... Node's own messages
 * ("EIO: i/o error, read '/x'") lose their code and path, which the caller's line already has;
 * any other message is kept as it is.
 *
 * @example
 * ```ts
 * try { readFileSync(path); } catch (e) { console.error(`cannot read ${path}: ${readFailure(e)}`); }
 * ```
 */
export function readFailure(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a component of its path is not a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENAMETOOLONG':
      return 'file name too long';
  }
  const message = err instanceof Error ? err.message : String(e);
  return /^[A-Z][A-Z0-9_]*: (.+?), [a-z]+(?: '.*')?$/s.exec(message)?.[1] ?? message;
}
