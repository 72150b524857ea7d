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

/** `node` arguments that run the CLI from its TypeScript source (through tsx). */
export const SOURCE_CLI = ['--import', 'tsx', join(ROOT, 'src', 'cli', 'bin.ts')];

export interface NodeRunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface NodeRunOptions {
  cwd?: string;
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Kill the child after this long (default: never). */
  timeoutMs?: number;
  killSignal?: NodeJS.Signals;
  /** Sees the whole stderr so far at each chunk, and may answer on stdin (else stdin is empty). */
  onStderr?: (stderr: string, stdin: NodeJS.WritableStream) => void;
  /** Run as this user (tests running as root). */
  uid?: number;
  gid?: number;
}

/**
 * Runs `node ARGV` asynchronously to completion (a server in this process keeps serving
 * meanwhile) and collects its output.
 */
export function runNode(argv: string[], opts: NodeRunOptions = {}): Promise<NodeRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: opts.cwd ?? ROOT,
      env: opts.env,
      stdio: [opts.onStderr ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (opts.onStderr) opts.onStderr(stderr, child.stdin!);
    });
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill(opts.killSignal), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
