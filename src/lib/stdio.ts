/**
 * Standard output and error, written without `process.stdout` and `process.stderr`: creating
 * one of those streams loads Node's tty or net module, about 4 ms, a tenth of a one-shot
 * verification. Writes here are synchronous and whole, so output keeps its order and is all out
 * when the process exits.
 *
 * - A descriptor that would block (a non-blocking pipe that is full) is handed to the stream,
 *   and every later write to it goes there too, in order.
 * - A reader that went away (EPIPE) or a closed descriptor (EBADF) drops the output: the exit
 *   code still tells the result, and `sigstore verify ... | head -1` is not an error.
 * - On Windows the streams are used as they are (console and pipe writes are asynchronous there).
 */
import { writeSync } from 'node:fs';

type Fd = 1 | 2;
/** On Windows the streams are used from the start. */
const initial = process.platform === 'win32' ? 'stream' : 'fd';
const state: Record<Fd, 'fd' | 'stream' | 'gone'> = { 1: initial, 2: initial };
/** Where writes go instead while set (see {@link redirectOutput}). */
let redirect: ((fd: Fd, text: string) => void) | undefined;

/**
 * Sends every write to `to` instead of the descriptors until the returned function is called:
 * what the CLI's in-process tests capture its output with.
 */
export function redirectOutput(to: (fd: Fd, text: string) => void): () => void {
  const previous = redirect;
  redirect = to;
  return () => {
    redirect = previous;
  };
}

/** The streams in use, each given an error handler once: a reader that went away drops the rest. */
const watched = new Set<Fd>();

function stream(fd: Fd): NodeJS.WriteStream {
  const s = fd === 1 ? process.stdout : process.stderr;
  if (!watched.has(fd)) {
    watched.add(fd);
    // Without a handler an EPIPE on the stream is an uncaught 'error' event: a stack trace.
    s.on('error', () => {
      state[fd] = 'gone';
    });
  }
  return s;
}

function write(fd: Fd, text: string): void {
  if (redirect) {
    redirect(fd, text);
    return;
  }
  if (state[fd] === 'gone' || text.length === 0) return;
  if (state[fd] === 'stream') {
    stream(fd).write(text);
    return;
  }
  let rest = Buffer.from(text, 'utf8');
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        state[fd] = 'stream';
        stream(fd).write(rest);
        return;
      }
      if (code === 'EPIPE' || code === 'EBADF') {
        state[fd] = 'gone';
        return;
      }
      throw e;
    }
  }
}

/**
 * Whether every write so far went out synchronously: false once a descriptor fell back to a
 * stream (a full non-blocking pipe), whose pending writes only a natural exit waits for.
 */
export function outputWritten(): boolean {
  return state[1] !== 'stream' && state[2] !== 'stream';
}

/** Writes `text` to standard output. */
export function writeStdout(text: string): void {
  write(1, text);
}

/** Writes `text` to standard error. */
export function writeStderr(text: string): void {
  write(2, text);
}
