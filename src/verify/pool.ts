/**
 * A pool of verification workers kept across calls ({@link VerifierPool}); {@link verifyMany}
 * (src/verify/batch.ts) runs on one. Each worker parses the trusted root once and keeps its
 * caches (verified chains, SCTs, checkpoints, keys) for its whole life, so a long-lived pool
 * stays warm. Bundles wait in one queue; workers take them in chunks (two chunks in flight each,
 * so a worker never waits for this thread), and the calling thread, unless told not to, verifies
 * chunks of the same queue between messages. A worker checks everything but the identity policy
 * (policies are arbitrary objects): the calling thread runs the policy and completes the result
 * (src/verify/worker-reply.ts). Workers are started in src/verify/worker-start.ts with the trusted
 * root the pool's trust material says. Each submitted bundle and artifact is copied when
 * submitted: what is verified, and what the result reports, cannot change with the caller's input.
 */
import { availableParallelism } from 'node:os';
import { BundleError, UsageError } from '../errors.js';
import type { JsonObject } from '../lib/json.js';
import { buildTrustMaterial, type TrustMaterial, trustedRootJson } from '../trust/trusted-root.js';
import type { VerificationPolicy } from './policy.js';
import type { Artifact, VerificationResult } from './types.js';
import { type KeyPolicy, Verifier } from './verifier.js';
import { complete, rebuild } from './worker-reply.js';
import { startWorker, type WorkerBatch, type WorkerInit, type WorkerPort, type WorkerReply, workerFile } from './worker-start.js';

/**
 * One bundle to verify, with the artifact it signs.
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
 * The outcome of one bundle of a batch: its result, or why it failed.
 *
 * @example
 * ```ts
 * for (const o of outcomes) console.log(o.ok ? 'OK' : `FAIL: ${o.error.message}`);
 * ```
 */
export type VerifyManyOutcome = { ok: true; result: VerificationResult } | { ok: false; error: Error };

/**
 * Options of a {@link VerifierPool}.
 *
 * @example
 * ```ts
 * const options: VerifierPoolOptions = { workers: 2, callingThread: false };
 * ```
 */
export interface VerifierPoolOptions {
  /** Workers to start (default: one per core, less one for the calling thread when it verifies too). */
  workers?: number;
  /** Whether the calling thread verifies bundles too, between messages (default true). */
  callingThread?: boolean;
  /**
   * `threads` (the default) runs the workers as worker threads, `processes` as child processes
   * (each its own OpenSSL and heap, at a higher start-up cost).
   */
  mode?: 'processes' | 'threads';
  /** Verify as of this time instead of now (see {@link VerifierOptions}). */
  now?: Date;
}

/** Exported keys: one export per KeyObject, and the same value for all its bundles (chunks group by it). */
const exportedKeys = new WeakMap<object, Buffer>();

/** The managed key of a key policy, in a form that can be sent to a worker. */
function policyKey(policy: VerificationPolicy | KeyPolicy): WorkerBatch['key'] {
  if (!('key' in policy)) return undefined;
  const k = policy.key;
  if (typeof k === 'string' || Buffer.isBuffer(k)) return k;
  let der = exportedKeys.get(k);
  if (!der) {
    der = k.export({ format: 'der', type: 'spki' });
    exportedKeys.set(k, der);
  }
  return der;
}

/**
 * The pool's own copy of a submitted item, made when it is submitted: bundle text or bytes are
 * copied (a JSON object is cloned), artifact bytes too. The bundle is verified from it and the
 * result's parsed bundle is parsed from it, so a caller that reuses or changes its buffers or
 * objects afterwards changes neither.
 */
function ownCopy(item: VerifyManyItem): VerifyManyItem {
  const b = item.bundle;
  let bundle: VerifyManyItem['bundle'];
  if (typeof b === 'string') bundle = b;
  else if (b instanceof Uint8Array) bundle = Buffer.from(b);
  else {
    try {
      bundle = structuredClone(b);
    } catch (e) {
      throw new BundleError('BUNDLE_INVALID', `invalid bundle: the bundle object is not JSON data (${(e as Error).message})`);
    }
  }
  const a = item.artifact as Partial<{ path: string; data: Uint8Array; digest: { algorithm: string; value: Buffer } }>;
  let artifact: Artifact = item.artifact;
  if (a && a.data instanceof Uint8Array) artifact = { data: Buffer.from(a.data) };
  else if (a?.digest && a.digest.value instanceof Uint8Array) artifact = { digest: { ...a.digest, value: Buffer.from(a.digest.value) } } as Artifact;
  return { bundle, artifact };
}

/** A bundle waiting in the queue (the pool's copy of it), and where its outcome goes. */
interface Job {
  item: VerifyManyItem;
  policy: VerificationPolicy | KeyPolicy;
  key: WorkerBatch['key'];
  resolve: (o: VerifyManyOutcome) => void;
}

/** Chunk size: a message per bundle costs more than its verification. */
const CHUNK = 16;

/**
 * Verification workers (threads, or processes) for one trusted root, kept across calls: the
 * batch API for services that verify all day (registry mirrors, admission controllers), warm
 * after the first bundles. Policies are given per call. Idle workers do not keep the process
 * alive; {@link VerifierPool.close} stops them.
 *
 * @example
 * ```ts
 * import { Identity, VerifierPool, loadTrustMaterial } from 'sigstore-ts';
 * const pool = await VerifierPool.start(await loadTrustMaterial(), { workers: 2 });
 * const policy = new Identity({ identity: 'me@example.com', issuer: 'https://accounts.google.com' });
 * const outcomes = await pool.verifyMany([{ bundle: readFileSync('a.txt.sigstore.json'), artifact: { path: 'a.txt' } }], policy);
 * const one = await pool.verify(readFileSync('b.txt.sigstore.json'), { path: 'b.txt' }, policy);
 * await pool.close();
 * ```
 */
export class VerifierPool {
  readonly #workers: WorkerPort[];
  readonly #inFlight: number[];
  readonly #local: Verifier | undefined;
  readonly #queue: Job[] = [];
  /** Jobs sent to workers, by id. */
  readonly #sent = new Map<number, { job: Job; worker: number }>();
  /** Workers that died (their bundles failed; the others carry on). */
  readonly #dead: boolean[];
  #nextId = 0;
  #localRunning = false;
  #dispatchQueued = false;
  #failed: Error | undefined;
  #closed = false;

  private constructor(workers: WorkerPort[], local: Verifier | undefined) {
    this.#workers = workers;
    this.#inFlight = workers.map(() => 0);
    this.#dead = workers.map(() => false);
    this.#local = local;
    workers.forEach((w, i) => {
      w.hold(false);
      w.onMessage((replies) => this.#onReplies(i, replies));
      w.onFailure((e) => this.#fail(i, e));
    });
  }

  /**
   * Starts the workers (they load the code and parse the trusted root; the first bundles also
   * warm their caches).
   *
   * @example
   * ```ts
   * const pool = await VerifierPool.start(trust, { workers: 1, callingThread: false });
   * ```
   */
  static async start(trust: TrustMaterial, options: VerifierPoolOptions = {}): Promise<VerifierPool> {
    const callingThread = options.callingThread ?? true;
    const n = options.workers ?? Math.max(callingThread ? 0 : 1, availableParallelism() - (callingThread ? 1 : 0));
    if (!Number.isInteger(n) || n < 0 || (n === 0 && !callingThread)) throw new UsageError('USAGE', 'a verifier pool needs at least one worker, or the calling thread');
    // The workers verify against exactly this material: a trusted root derived from its fields.
    const frozen = buildTrustMaterial(trust);
    const init: WorkerInit = { trustedRoot: trustedRootJson(frozen), source: frozen.source, now: options.now?.getTime() };
    const workers: WorkerPort[] = [];
    if (n > 0) {
      const file = await workerFile();
      try {
        for (let i = 0; i < n; i++) workers.push(await startWorker(file, init, options.mode ?? 'threads'));
      } catch (e) {
        await Promise.all(workers.map((w) => w.stop()));
        throw e;
      }
    }
    return new VerifierPool(workers, callingThread ? new Verifier(frozen, options.now ? { now: options.now } : {}) : undefined);
  }

  /** How many workers run (the calling thread not counted). */
  get workers(): number {
    return this.#workers.length;
  }

  /**
   * Verifies one bundle; resolves to its outcome (never rejects for a bundle that does not
   * verify). Calls made together are batched.
   *
   * @example
   * ```ts
   * const o = await pool.verify(bundleJson, { digest: { algorithm: 'sha256', value: digest } }, policy);
   * if (!o.ok) throw o.error;
   * ```
   */
  verify(bundle: VerifyManyItem['bundle'], artifact: Artifact, policy: VerificationPolicy | KeyPolicy): Promise<VerifyManyOutcome> {
    if (!policy) throw new UsageError('NO_POLICY', 'refusing to verify without a policy (use unsafeAcceptAnyIdentity() to accept any signer)');
    if (this.#closed) return Promise.reject(new UsageError('POOL_CLOSED', 'this verifier pool is closed'));
    if (this.#failed) return Promise.reject(this.#failed);
    const key = policyKey(policy);
    let item: VerifyManyItem;
    try {
      item = ownCopy({ bundle, artifact });
    } catch (e) {
      return Promise.resolve({ ok: false, error: e as Error });
    }
    return new Promise<VerifyManyOutcome>((resolve) => {
      this.#queue.push({ item, policy, key, resolve });
      // Calls made in the same tick are dispatched together.
      if (!this.#dispatchQueued) {
        this.#dispatchQueued = true;
        queueMicrotask(() => {
          this.#dispatchQueued = false;
          this.#dispatch();
        });
      }
    });
  }

  /**
   * Verifies many bundles; one outcome per item, in order.
   *
   * @example
   * ```ts
   * const outcomes = await pool.verifyMany(items, policy);
   * ```
   */
  verifyMany(items: VerifyManyItem[], policy: VerificationPolicy | KeyPolicy): Promise<VerifyManyOutcome[]> {
    return Promise.all(items.map((i) => this.verify(i.bundle, i.artifact, policy)));
  }

  /**
   * Stops the workers. Bundles not verified yet fail.
   *
   * @example
   * ```ts
   * await pool.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const stopped = new UsageError('POOL_CLOSED', 'the verifier pool was closed before this bundle was verified');
    for (const j of this.#queue.splice(0)) j.resolve({ ok: false, error: stopped });
    for (const { job } of this.#sent.values()) job.resolve({ ok: false, error: stopped });
    this.#sent.clear();
    await Promise.all(this.#workers.map((w) => w.stop()));
  }

  /** Full chunks while the queue is long; smaller ones near its end, so no thread idles long. */
  #chunk(): number {
    const takers = this.#dead.filter((d) => !d).length * 2 + (this.#local ? 1 : 0);
    return Math.max(1, Math.min(CHUNK, Math.ceil(this.#queue.length / takers)));
  }

  /** Sends queued bundles to workers with room, and starts the calling thread on the rest. */
  #dispatch(): void {
    const chunk = this.#chunk();
    for (const [i, w] of this.#workers.entries()) {
      while (!this.#dead[i] && this.#inFlight[i]! < 2 && this.#queue.length > 0) {
        // One message holds bundles with the same managed key (or none).
        const key = this.#queue[0]!.key;
        const jobs: Job[] = [];
        while (jobs.length < chunk && this.#queue.length > 0 && this.#queue[0]!.key === key) jobs.push(this.#queue.shift()!);
        const items = jobs.map((job) => {
          const id = this.#nextId++;
          this.#sent.set(id, { job, worker: i });
          return { id, bundle: job.item.bundle, artifact: job.item.artifact };
        });
        if (this.#inFlight[i] === 0) w.hold(true);
        this.#inFlight[i]!++;
        w.post({ key, items });
      }
    }
    if (this.#local && !this.#localRunning && this.#queue.length > 0) void this.#runLocal();
  }

  /** The calling thread's share: a chunk at a time, yielding to worker messages in between. */
  async #runLocal(): Promise<void> {
    this.#localRunning = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        for (const job of this.#queue.splice(0, this.#chunk())) {
          try {
            job.resolve({ ok: true, result: await this.#local!.verify(job.item.bundle, job.item.artifact, job.policy) });
          } catch (e) {
            job.resolve({ ok: false, error: e as Error });
          }
        }
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.#localRunning = false;
    }
  }

  #onReplies(worker: number, replies: WorkerReply[]): void {
    if (--this.#inFlight[worker]! === 0) this.#workers[worker]!.hold(false);
    for (const reply of replies) {
      const job = this.#sent.get(reply.id)?.job;
      if (!job) continue;
      this.#sent.delete(reply.id);
      if (reply.ok) {
        try {
          job.resolve({ ok: true, result: complete(job.item, reply, job.policy) });
        } catch (e) {
          job.resolve({ ok: false, error: e as Error });
        }
      } else {
        job.resolve({ ok: false, error: rebuild(reply.error) });
      }
    }
    this.#dispatch();
  }

  /**
   * A worker died: the bundles it held fail with the reason (a bundle that crashes a worker is
   * never retried elsewhere), the other workers and the calling thread carry on with the rest.
   * With none left, the pool refuses further work.
   */
  #fail(worker: number, e: Error): void {
    if (this.#closed || this.#dead[worker]) return;
    this.#dead[worker] = true;
    for (const [id, s] of this.#sent) {
      if (s.worker !== worker) continue;
      this.#sent.delete(id);
      s.job.resolve({ ok: false, error: e });
    }
    void this.#workers[worker]!.stop();
    if (this.#local || this.#dead.some((d) => !d)) {
      this.#dispatch();
      return;
    }
    this.#failed = e;
    for (const j of this.#queue.splice(0)) j.resolve({ ok: false, error: e });
  }
}
