/**
 * Helpers for the local instance tests: temp data directories, HTTP with a bounded socket pool,
 * the CLI as a child process, and an independent RFC 6962 / RFC 9162 implementation (the tests
 * check the instance's proofs with this, not with the instance's own Merkle code).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, createPublicKey, type KeyObject, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootFromInclusionProof } from '../../src/lib/merkle.js';
import { runNode, SOURCE_CLI } from '../helpers/cli.js';

export const ROOT = join(import.meta.dirname, '..', '..');

export function tempDir(prefix = 'sigstore-instance-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json<T = unknown>(): T;
  text(): string;
}

let agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** Drops every pooled connection (after killing a server, so no request reuses a dead socket). */
export function resetHttpAgent(): void {
  agent.destroy();
  agent = new Agent({ keepAlive: true, maxSockets: 64 });
}

/** One HTTP request through a keep-alive agent with at most 64 sockets (requests beyond queue). */
export function http(method: string, url: string, body?: Buffer | string | object, headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    let payload: Buffer | undefined;
    const h = { ...headers };
    if (body !== undefined) {
      if (Buffer.isBuffer(body) || typeof body === 'string') payload = Buffer.from(body);
      else {
        payload = Buffer.from(JSON.stringify(body));
        h['Content-Type'] ??= 'application/json';
      }
      h['Content-Length'] = String(payload.length);
    }
    const req = request(url, { method, headers: h, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: b,
          json: <T>() => JSON.parse(b.toString('utf8')) as T,
          text: () => b.toString('utf8'),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

// ---------------------------------------------------------------------------------------------
// RFC 6962 / RFC 9162: tree heads and consistency proofs written independently of
// src/instance/merkle.ts; inclusion proofs checked by the client's verifier

export function leaf(data: Buffer): Buffer {
  return createHash('sha256').update(Buffer.from([0])).update(data).digest();
}

function node(l: Buffer, r: Buffer): Buffer {
  return createHash('sha256').update(Buffer.from([1])).update(l).update(r).digest();
}

/** MTH over leaf hashes, by the RFC's recursive definition. */
export function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return node(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** Roots of every prefix of `leaves` (index i: root of the first i leaves), computed incrementally. */
export function prefixRoots(leaves: Buffer[]): Buffer[] {
  const roots: Buffer[] = [createHash('sha256').digest()];
  const stack: { h: Buffer; size: number }[] = [];
  for (const l of leaves) {
    stack.push({ h: l, size: 1 });
    while (stack.length >= 2 && stack[stack.length - 1]!.size === stack[stack.length - 2]!.size) {
      const r = stack.pop()!;
      const left = stack.pop()!;
      stack.push({ h: node(left.h, r.h), size: left.size * 2 });
    }
    let acc = stack[stack.length - 1]!.h;
    for (let i = stack.length - 2; i >= 0; i--) acc = node(stack[i]!.h, acc);
    roots.push(acc);
  }
  return roots;
}

/** RFC 9162 §2.1.3.2 inclusion proof verification: the client's own (src/lib/merkle.ts). */
export function verifyInclusionProof(leafHash: Buffer, index: number, size: number, proof: Buffer[], root: Buffer): boolean {
  return rootFromInclusionProof(BigInt(index), BigInt(size), leafHash, proof)?.equals(root) ?? false;
}

/** RFC 9162 §2.1.4.2 consistency proof verification. */
export function verifyConsistencyProof(first: number, second: number, firstRoot: Buffer, secondRoot: Buffer, proof: Buffer[]): boolean {
  if (first > second) return false;
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (first === 0) return proof.length === 0;
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = node(c, fr);
      sr = node(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = node(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

// ---------------------------------------------------------------------------------------------
// Signed notes

export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
  name: string;
  hint: Buffer;
}

/** Parses a signed checkpoint and checks its one signature with `key`; throws if it does not verify. */
export function openCheckpoint(text: string, key: KeyObject): Checkpoint {
  const split = text.indexOf('\n\n');
  if (split < 0) throw new Error('no blank line in checkpoint');
  const body = text.slice(0, split + 1);
  const [origin, size, root] = body.split('\n');
  const m = /^\u2014 (\S+) (\S+)\n$/.exec(text.slice(split + 2));
  if (!m) throw new Error(`bad signature line in ${JSON.stringify(text)}`);
  const raw = Buffer.from(m[2]!, 'base64');
  const hint = raw.subarray(0, 4);
  const sig = raw.subarray(4);
  const ok = key.asymmetricKeyType === 'ed25519' ? nodeVerify(null, Buffer.from(body), key, sig) : nodeVerify('sha256', Buffer.from(body), key, sig);
  if (!ok) throw new Error('checkpoint signature does not verify');
  return { origin: origin!, size: Number(size), root: Buffer.from(root!, 'base64'), name: m[1]!, hint };
}

/** The public key of the trusted root's log whose logId.keyId is `keyIdB64`. */
export function tlogKey(trustedRoot: Record<string, unknown>, keyIdB64: string): KeyObject {
  const tlogs = trustedRoot.tlogs as { logId: { keyId: string }; publicKey: { rawBytes: string } }[];
  const t = tlogs.find((l) => l.logId.keyId === keyIdB64);
  if (!t) throw new Error(`no tlog ${keyIdB64} in the trusted root`);
  return createPublicKey({ key: Buffer.from(t.publicKey.rawBytes, 'base64'), format: 'der', type: 'spki' });
}

// ---------------------------------------------------------------------------------------------
// The CLI as a child process

export interface Child {
  proc: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Runs `sigstore instance serve --data-dir dir ...` and resolves once it prints its URL. */
export function serveChild(dir: string, extra: string[] = []): Promise<Child> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...SOURCE_CLI, 'instance', 'serve', '--data-dir', dir, ...extra], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`instance did not start in time: ${err}`));
    }, 30_000);
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m && out.includes('Press Ctrl-C')) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]!, stdout: () => out, stderr: () => err, exited });
      }
    });
    proc.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited (${code}) before serving: ${err}`));
    });
  });
}

/** Runs the CLI to completion. */
export function runCli(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runNode([...SOURCE_CLI, ...args], { timeoutMs, killSignal: 'SIGKILL' });
}
