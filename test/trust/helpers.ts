/**
 * Helpers for the trust tests: the CLI as a child process (optionally as an unprivileged user,
 * so read-only directories are read-only even when the tests run as root), a listener that
 * records every connection (to prove that nothing touched the network), directory snapshots
 * (to prove that a refused update left the cache as it was), and the local instance.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { OtherUser } from '../helpers/as-user.js';
import { runNode } from '../helpers/cli.js';

export { otherUser, type OtherUser } from '../helpers/as-user.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'bin', 'sigstore');
export const IMPORT_RECORDER = join(import.meta.dirname, 'import-recorder.mjs');

/** A temporary directory, world-readable (an unprivileged child may need to read it). */
export function tempDir(prefix = 'sigstore-trust-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** Run as this user, its copy of the CLI, from its directory (see test/helpers/as-user.ts). */
  asUser?: OtherUser;
  cwd?: string;
  /** node options before the script (e.g. --import). */
  nodeArgs?: string[];
}

/** An environment without proxies, trust cache overrides or XDG directories of the caller. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(https?_proxy|no_proxy|all_proxy)$/i.test(k) || k === 'SIGSTORE_TRUST_CACHE' || k.startsWith('XDG_') || k.startsWith('SIGSTORE_')) delete env[k];
  }
  Object.assign(env, extra);
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Runs `sigstore ARGS` (asynchronously: an in-process instance keeps serving meanwhile). */
export async function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const u = opts.asUser;
  const r = await runNode([...(opts.nodeArgs ?? []), u ? u.cli : CLI, ...args], {
    cwd: opts.cwd ?? (u ? u.cwd : ROOT),
    env: opts.env ?? cleanEnv(),
    ...(u ? { uid: u.uid, gid: u.gid } : {}),
  });
  return { status: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Makes a tree read-only (directories r-x, files r--) or writable again. */
export function setReadOnly(dir: string, readOnly: boolean): void {
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const f of readdirSync(p)) walk(join(p, f));
      chmodSync(p, readOnly ? 0o555 : 0o755);
    } else chmodSync(p, readOnly ? 0o444 : 0o644);
  };
  walk(dir);
}

/** Every file under `dir` (relative path -> sha256), to compare a tree before and after. */
export function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string) => {
    let entries: string[];
    try {
      entries = readdirSync(p);
    } catch {
      return;
    }
    for (const f of entries) {
      const full = join(p, f);
      if (statSync(full).isDirectory()) walk(full);
      else out[relative(dir, full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** A listener that records every connection and request, answering 502. Use it as a proxy. */
export interface Recorder {
  url: string;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

export async function startRecorder(): Promise<Recorder> {
  const sockets = new Set<Socket>();
  const rec = { connections: 0, requests: [] as string[] };
  const server: Server = createServer((req, res) => {
    rec.requests.push(`${req.method} ${req.url}`);
    res.writeHead(502).end();
  });
  server.on('connection', (s: Socket) => {
    rec.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req, socket) => {
    rec.requests.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return rec.connections;
    },
    get requests() {
      return rec.requests;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Runs async jobs with at most `n` in flight. */
export async function pool<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
