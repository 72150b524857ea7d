/**
 * Starting a verification worker of a {@link VerifierPool} (src/verify/pool.ts), as a worker
 * thread or a child process, and the messages exchanged with it (src/verify/worker.ts is the
 * other end). A worker starts with the trusted root the pool's trust material says, derived
 * from its fields (trustedRootJson, src/trust/material.ts), never a copy of JSON kept beside it.
 */
import type { TlogEntry } from '../bundle/parse.js';
import type { JsonObject } from '../lib/json.js';
import type { Artifact, InTotoStatement } from './types.js';

/** `true` in the single-file CLI (dist/sigstore.cjs); see scripts/build.mjs. */
declare const __SIGSTORE_SINGLE_FILE__: boolean;

/** @internal What a worker starts with: the trusted root the pool's trust material says (trustedRootJson). */
export interface WorkerInit {
  trustedRoot: JsonObject;
  source: string;
  now: number | undefined;
}

/** @internal One bundle sent to a worker. */
export interface WorkerRequest {
  id: number;
  bundle: string | Uint8Array | JsonObject;
  artifact: Artifact;
}

/** @internal A message to a worker: bundles, and the managed key to check them with, if any (DER SPKI or PEM). */
export interface WorkerBatch {
  key: Uint8Array | string | undefined;
  items: WorkerRequest[];
}

/** @internal A worker's answer. */
export type WorkerReply =
  | {
      id: number;
      ok: true;
      timestamps: { time: number; source: 'tsa' | 'tlog'; authority: string }[];
      statement: InTotoStatement | undefined;
      payloadType: string | undefined;
      keyId: string | undefined;
      /** The signing certificate (DER), when the bundle has one. */
      certificate: Uint8Array | undefined;
      /** Each log entry's index as verified (the proven index in its shard when there is no SET). */
      logIndexes: TlogEntry['logIndex'][];
    }
  | { id: number; ok: false; error: { name: string; code: string | undefined; step: string | undefined; message: string } };

/** A worker, whichever its kind. */
export interface WorkerPort {
  post(m: WorkerBatch): void;
  onMessage(f: (replies: WorkerReply[]) => void): void;
  onFailure(f: (e: Error) => void): void;
  /** Whether the worker keeps the process alive (only while it has work). */
  hold(on: boolean): void;
  stop(): Promise<unknown>;
}

export async function startWorker(file: URL | string, init: WorkerInit, mode: 'processes' | 'threads'): Promise<WorkerPort> {
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
      hold: (on) => (on ? w.ref() : w.unref()),
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
    hold: (on) => {
      const ch = c.channel as { ref?: () => void; unref?: () => void } | undefined;
      if (on) {
        c.ref();
        ch?.ref?.();
      } else {
        c.unref();
        ch?.unref?.();
      }
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

/** Where the worker's code is: beside the single-file CLI, in dist/, or the source under tsx. */
export async function workerFile(): Promise<URL | string> {
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

