/**
 * Progress of a long run on a terminal: one status line on stderr, redrawn in place (done/total,
 * rate, the current input), erased before any other line is written and at the end. Nothing at
 * all when stderr is not a terminal (piped, redirected, CI logs) or the user asked for quiet.
 */
import { observeHashing } from '../lib/hash-progress.js';
import { writeStderr } from '../lib/stdio.js';

/** Redraws at most this often: a terminal is slower than a fast verification. */
const REDRAW_MS = 80;

export interface Progress {
  /** `label` is being worked on now (`done` items finished so far). */
  update(done: number, label: string): void;
  /** Writes `text` (whole lines) above the status line. */
  print(text: string): void;
  /** Erases the status line for good. */
  end(): void;
}

const NONE: Progress = {
  update() {},
  print: writeStderr,
  end() {},
};

/** A status line for `total` items when stderr is a terminal and `enabled`; else a no-op. */
export async function startProgress(total: number, what: string, enabled: boolean): Promise<Progress> {
  if (!enabled || total < 2 || process.env.TERM === 'dumb') return NONE;
  const { isatty } = await import('node:tty');
  if (!isatty(2)) return NONE;
  const started = Date.now();
  let shown = false;
  let last = 0;
  let columns = 80;
  try {
    columns = (await import('node:process')).stderr.columns || 80;
  } catch {
    // keep 80
  }
  const erase = () => {
    if (shown) writeStderr('\r\x1b[K');
    shown = false;
  };
  return {
    update(done, label) {
      const now = Date.now();
      if (shown && now - last < REDRAW_MS) return;
      last = now;
      const secs = (now - started) / 1000;
      const rate = secs > 0 ? `${(done / secs).toFixed(1)}/s` : '';
      const head = `[${String(done).padStart(String(total).length)}/${total}] ${what} ${rate} `;
      const room = Math.max(10, columns - head.length - 1);
      const tail = label.length > room ? `…${label.slice(label.length - room + 1)}` : label;
      writeStderr(`\r\x1b[K${head}${tail}`);
      shown = true;
    },
    print(text) {
      erase();
      writeStderr(text);
    },
    end: erase,
  };
}

/** The bytes-done line is redrawn at most this often (4 times a second). */
const HASH_REDRAW_MS = 250;

function mib(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(2)} GiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

/**
 * While a large input (64 MiB or more, src/lib/hash-progress.ts) is hashed: a status line with
 * the bytes done (`hashing FILE: 96.0 MiB of 512.0 MiB (18%), 410 MiB/s`) on stderr, redrawn in
 * place at most 4 times a second and erased when the pass ends, before any result line. Only
 * when stderr is a terminal and `enabled` (no -q); returns the function that stops it. Whether
 * stderr is a terminal is asked when a large input is met, not before: a one-shot run of small
 * inputs loads no tty module.
 */
export async function showHashProgress(enabled: boolean): Promise<() => void> {
  if (!enabled || process.env.TERM === 'dumb') return () => {};
  let terminal: boolean | undefined;
  let columns = 80;
  const started = new Map<string, number>();
  let shown = false;
  let last = 0;
  observeHashing({
    update(path, done, total) {
      if (terminal === undefined) {
        terminal = process.stderr.isTTY === true;
        columns = process.stderr.columns || 80;
      }
      if (!terminal) return;
      const now = Date.now();
      if (!started.has(path)) started.set(path, now);
      if (shown && now - last < HASH_REDRAW_MS) return;
      last = now;
      const secs = (now - started.get(path)!) / 1000;
      const rate = secs > 0.05 ? `, ${mib(done / secs)}/s` : '';
      const tail = `: ${mib(done)} of ${mib(total)} (${Math.floor((done * 100) / total)}%)${rate}`;
      const room = Math.max(10, columns - tail.length - 'hashing '.length - 1);
      const label = path.length > room ? `…${path.slice(path.length - room + 1)}` : path;
      writeStderr(`\r\x1b[Khashing ${label}${tail}`);
      shown = true;
    },
    end(path) {
      started.delete(path);
      if (shown) writeStderr('\r\x1b[K');
      shown = false;
    },
  });
  return () => observeHashing(undefined);
}
