/**
 * Bytes hashed of a large input, for the CLI's progress line on a terminal. Code that hashes a
 * file in a streaming pass (verification, signing, PyPI distributions, `attest` subjects)
 * reports each chunk here; nothing is shown unless the CLI installed an observer (stderr is a
 * terminal, no -q). The observer only watches: it never changes what is hashed or the result.
 *
 * It lives on `globalThis` under a registered symbol, so that every bundle of the CLI
 * (dist/sigstore.cjs and its lazy chunks, dist/cli.js) sees the same one.
 */

/** Inputs at least this large report their progress (smaller ones hash in well under a second). */
export const LARGE_INPUT_BYTES = 64 * 1024 * 1024;

/** What the CLI's progress line is told. */
export interface HashObserver {
  /** `done` of `total` bytes of `path` are hashed. */
  update(path: string, done: number, total: number): void;
  /** The pass over `path` ended (finished or failed). */
  end(path: string): void;
}

/** One streaming pass over a file. */
export interface HashTracker {
  add(bytes: number): void;
  end(): void;
}

const SLOT = Symbol.for('sigstore-ts.hashObserver');
type Slot = { [SLOT]?: HashObserver };
const NONE: HashTracker = { add() {}, end() {} };

/** Installs (or, with undefined, removes) the observer of large hashing passes. */
export function observeHashing(observer: HashObserver | undefined): void {
  (globalThis as Slot)[SLOT] = observer;
}

/**
 * A tracker for one pass over `path` (`total` bytes): a no-op unless an observer is installed
 * and the file is at least {@link LARGE_INPUT_BYTES}.
 */
export function trackHashing(path: string, total: number | bigint | undefined): HashTracker {
  const observer = (globalThis as Slot)[SLOT];
  const size = Number(total ?? 0);
  if (!observer || !(size >= LARGE_INPUT_BYTES)) return NONE;
  let done = 0;
  return {
    add(bytes) {
      done += bytes;
      observer.update(path, done, size);
    },
    end() {
      observer.end(path);
    },
  };
}
