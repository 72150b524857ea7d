/**
 * Reading an artifact file the user named, as signing and verification both do: small files
 * are read with synchronous calls, and a file that cannot be read is one usage error.
 */
import { UsageError } from '../errors.js';

/** Files up to this size are read with synchronous reads (no stream, no thread-pool round trips). */
export const SYNC_READ_MAX = 1024 * 1024;

/** Why `path` cannot be read, as the error the caller sees (`INPUT_UNREADABLE`). */
export function unreadable(path: string, e: unknown): UsageError {
  const err = e as NodeJS.ErrnoException;
  return new UsageError('INPUT_UNREADABLE', `cannot read ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message}`);
}
