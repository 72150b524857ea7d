/**
 * Runs the built CLI (bin/sigstore) as a user would, and captures its output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const SIGSTORE = join(ROOT, 'bin', 'sigstore');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [SIGSTORE, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 30_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Asserts-friendly check: no stack trace lines in the output. */
export function hasStackTrace(s: string): boolean {
  return /^\s+at .+\(.+:\d+:\d+\)$/m.test(s) || /^\s+at .+:\d+:\d+$/m.test(s);
}

export interface TimedCliResult {
  code: number | null;
  stderr: string;
  ms: number;
  /** Killed after `timeoutMs`. */
  timedOut: boolean;
}

/** Runs the built CLI asynchronously, killing it after `timeoutMs` (for hang checks). */
export function runCliTimed(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<TimedCliResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [SIGSTORE, ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, ms: performance.now() - started, timedOut });
    });
  });
}
