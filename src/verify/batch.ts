/**
 * Verification of many bundles at once on worker threads ({@link verifyMany}). Each worker
 * parses the trusted root once and keeps its caches (verified chains, SCTs, checkpoints, keys)
 * for the whole batch; the main thread parses each bundle again to build the full result and
 * runs the identity policy (policies are arbitrary objects and stay on the main thread).
 */
import { availableParallelism } from 'node:os';
import { type ParsedBundle, parseBundle } from '../bundle/parse.js';
import { BundleError, NetworkError, PolicyError, SigstoreError, TrustError, UsageError, VerificationError, type VerificationStep } from '../errors.js';
import type { JsonObject } from '../lib/json.js';
import type { TrustMaterial } from '../trust/trusted-root.js';
import { certificateSigner } from './extensions.js';
import type { VerificationPolicy } from './policy.js';
import type { Artifact, InTotoStatement, VerificationResult } from './types.js';
import { type KeyPolicy, Verifier, type VerifierOptions } from './verifier.js';

/** `true` in the single-file CLI (dist/sigstore.cjs); see scripts/build.mjs. */
declare const __SIGSTORE_SINGLE_FILE__: boolean;

/**
 * One bundle of a {@link verifyMany} batch, with the artifact it signs.
 *
 * @example
 * ```ts
 * const item: VerifyManyItem = { bundle: readFileSync('a.txt.sigstore.json'), artifact: { path: 'a.txt' } };
 * ```
 */
export interface VerifyManyItem {
  /** The bundle: JSON text or bytes, or a parsed JSON object. */
  bundle: string | Buffer | JsonObject;
  artifact: Artifact;
}

/**
 * Options for {@link verifyMany}.
 *
 * @example
 * ```ts
 * const options: VerifyManyOptions = { threads: 2 };
 * ```
 */
export interface VerifyManyOptions extends VerifierOptions {
  /** Workers to use (default: the available parallelism, at most one per bundle). 1 verifies on this thread. */
  threads?: number;
  /**
   * `threads` (the default) runs the workers as worker threads, `processes` as child processes
   * (each its own OpenSSL and heap, at a higher start-up cost).
   */
  mode?: 'processes' | 'threads';
}

/** A worker, whichever its kind. */
interface WorkerPort {
  post(m: WorkerRequest[]): void;
  onMessage(f: (replies: WorkerReply[]) => void): void;
  onFailure(f: (e: Error) => void): void;
  stop(): Promise<unknown>;
}

async function startWorker(file: URL | string, init: WorkerInit, mode: 'processes' | 'threads'): Promise<WorkerPort> {
  if (mode === 'threads') {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(file, { workerData: init });
    let done = false;
    return {
      post: (m) => w.postMessage(m),
      onMessage: (f) => w.on('message', f),
      onFailure: (f) => {
        w.on('error', f);
        w.on('exit', (code) => {
          if (!done) f(new Error(`a verification worker exited (code ${code})`));
        });
      },
      stop: () => {
        done = true;
        return w.terminate();
      },
    };
  }
  const { fork } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const c = fork(typeof file === 'string' ? file : fileURLToPath(file), [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  c.send(init);
  let done = false;
  return {
    post: (m) => c.send(m),
    onMessage: (f) => c.on('message', f as (m: unknown) => void),
    onFailure: (f) => {
      c.on('error', f);
      c.on('exit', (code, signal) => {
        if (!done) f(new Error(`a verification worker exited (${signal ?? `code ${code}`})`));
      });
    },
    stop: () => {
      done = true;
      if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
      const exited = new Promise((r) => c.once('exit', r));
      c.disconnect();
      return exited;
    },
  };
}

/**
 * The outcome of one bundle of a {@link verifyMany} batch: its result, or why it failed.
 *
 * @example
 * ```ts
 * for (const o of outcomes) console.log(o.ok ? 'OK' : `FAIL: ${o.error.message}`);
 * ```
 */
export type VerifyManyOutcome = { ok: true; result: VerificationResult } | { ok: false; error: Error };

/** @internal What a worker starts with. */
export interface WorkerInit {
  trustedRoot: unknown;
  source: string;
  now: number | undefined;
  /** A managed-key policy's key, as DER SubjectPublicKeyInfo or PEM. */
  key: Uint8Array | string | undefined;
}

/** @internal One bundle sent to a worker. */
export interface WorkerRequest {
  id: number;
  bundle: string | Uint8Array | JsonObject;
  artifact: Artifact;
}

/** @internal A worker's answer. */
export type WorkerReply =
  | { id: number; ok: true; timestamps: { time: number; source: 'tsa' | 'tlog'; authority: string }[]; statement: InTotoStatement | undefined; keyId: string | undefined }
  | { id: number; ok: false; error: { name: string; code: string | undefined; step: string | undefined; message: string } };

/** Rebuilds an error a worker reported, as the same class. */
function rebuild(e: Extract<WorkerReply, { ok: false }>['error']): Error {
  const code = e.code ?? 'UNKNOWN';
  switch (e.name) {
    case 'BundleError':
      return new BundleError(code, e.message);
    case 'PolicyError':
      return new PolicyError(code, e.message);
    case 'VerificationError':
      return new VerificationError((e.step ?? 'bundle') as VerificationStep, code, e.message);
    case 'UsageError':
      return new UsageError(code, e.message);
    case 'TrustError':
      return new TrustError(code, e.message);
    case 'NetworkError':
      return new NetworkError(code, e.message);
    case 'SigstoreError':
      return new SigstoreError(code, e.message);
    default:
      return new Error(e.message);
  }
}

/** The result a worker vouched for, rebuilt on this thread, with the policy checked. */
function complete(item: VerifyManyItem, reply: Extract<WorkerReply, { ok: true }>, policy: VerificationPolicy | KeyPolicy): VerificationResult {
  const bundle: ParsedBundle = parseBundle(item.bundle);
  const mat = bundle.material;
  const timestamps = reply.timestamps.map((t) => ({ time: new Date(t.time), source: t.source, authority: t.authority }));
  const payloadType = bundle.content.kind === 'dsseEnvelope' ? bundle.content.envelope.payloadType : undefined;
  if (mat.kind === 'publicKey') {
    return { signer: { kind: 'key', keyId: reply.keyId!, hint: mat.hint }, timestamps, tlogEntries: bundle.tlogEntries, statement: reply.statement, payloadType, bundle };
  }
  const signer = certificateSigner(mat.certificate);
  (policy as VerificationPolicy).check(signer);
  return { signer, timestamps, tlogEntries: bundle.tlogEntries, statement: reply.statement, payloadType, bundle };
}

/** Where the worker's code is: beside the single-file CLI, in dist/, or the source under tsx. */
async function workerFile(): Promise<URL | string> {
  if (typeof __SIGSTORE_SINGLE_FILE__ !== 'undefined' && __SIGSTORE_SINGLE_FILE__) {
    const { join } = await import('node:path');
    return join(__dirname, 'lazy', 'verify-worker.cjs');
  }
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('./worker.ts', here);
  const { existsSync } = await import('node:fs');
  for (const rel of ['./verify-worker.js', '../verify-worker.js']) {
    const u = new URL(rel, here);
    if (existsSync(u)) return u;
  }
  throw new Error('the verification worker (verify-worker.js) is missing beside the library');
}

/**
 * Verifies many bundles against one trusted root and one policy, on worker threads (or child
 * processes; each worker keeps its caches across the batch). Resolves to one outcome per item, in order; it
 * never rejects for a bundle that does not verify. With `threads: 1`, or a single item, it
 * verifies on the calling thread.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { Identity, loadTrustMaterial, verifyMany } from 'sigstore-ts';
 * const files = ['a.txt', 'b.txt'];
 * const outcomes = await verifyMany(
 *   await loadTrustMaterial(),
 *   files.map((f) => ({ bundle: readFileSync(`${f}.sigstore.json`), artifact: { path: f } })),
 *   new Identity({ identity: 'me@example.com', issuer: 'https://accounts.google.com' }),
 * );
 * outcomes.forEach((o, i) => console.log(files[i], o.ok ? 'OK' : `FAIL: ${o.error.message}`));
 * ```
 */
export async function verifyMany(
  trust: TrustMaterial,
  items: VerifyManyItem[],
  policy: VerificationPolicy | KeyPolicy,
  options: VerifyManyOptions = {},
): Promise<VerifyManyOutcome[]> {
  if (!policy) throw new UsageError('NO_POLICY', 'refusing to verify without a policy (use unsafeAcceptAnyIdentity() to accept any signer)');
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), items.length));
  if (threads === 1) {
    const verifier = new Verifier(trust, options);
    const out: VerifyManyOutcome[] = [];
    for (const item of items) {
      try {
        out.push({ ok: true, result: await verifier.verify(item.bundle, item.artifact, policy) });
      } catch (e) {
        out.push({ ok: false, error: e as Error });
      }
    }
    return out;
  }
  let key: WorkerInit['key'];
  if ('key' in policy) {
    const k = policy.key;
    key = typeof k === 'string' || Buffer.isBuffer(k) ? k : k.export({ format: 'der', type: 'spki' });
  }
  const init: WorkerInit = { trustedRoot: trust.json, source: trust.source, now: options.now?.getTime(), key };
  const file = await workerFile();
  const out: VerifyManyOutcome[] = new Array(items.length);
  // Bundles go in chunks (a message per bundle costs more than its verification), two chunks
  // in flight per worker so it never waits for this thread.
  const chunk = Math.max(1, Math.min(32, Math.ceil(items.length / threads / 4)));
  let next = 0;
  const workers: WorkerPort[] = [];
  const mode = options.mode ?? 'threads';
  try {
    for (let i = 0; i < threads; i++) workers.push(await startWorker(file, init, mode));
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            let inFlight = 0;
            const send = (): void => {
              while (inFlight < 2 && next < items.length) {
                const batch: WorkerRequest[] = [];
                for (const end = Math.min(items.length, next + chunk); next < end; next++) {
                  const item = items[next]!;
                  batch.push({ id: next, bundle: item.bundle, artifact: item.artifact });
                }
                inFlight++;
                w.post(batch);
              }
              if (inFlight === 0) resolve();
            };
            w.onMessage((replies) => {
              inFlight--;
              for (const reply of replies) {
                const item = items[reply.id]!;
                if (reply.ok) {
                  try {
                    out[reply.id] = { ok: true, result: complete(item, reply, policy) };
                  } catch (e) {
                    out[reply.id] = { ok: false, error: e as Error };
                  }
                } else {
                  out[reply.id] = { ok: false, error: rebuild(reply.error) };
                }
              }
              send();
            });
            w.onFailure(reject);
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
  return out;
}
