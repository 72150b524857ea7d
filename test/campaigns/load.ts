/**
 * Load campaign: the local instance as a child process (`bin/sigstore instance serve`), several
 * client processes signing and attesting concurrently through Rekor v1 and v2 for a while, a
 * kill -9 of the instance mid-run and a restart on the same data directory; then every
 * acknowledged entry (recorded by the clients from the bundles they got) must have a valid
 * inclusion proof in the final tree: Rekor v1 entries from its API (`?logIndex=`), Rekor v2
 * entries from its tiles, verified with the project's Merkle code against the final checkpoint.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tileIndexPath } from '../../src/instance/rekor-v2.js';
import { leafHash, nodeHash, rootFromInclusionProof } from '../../src/lib/merkle.js';
import { SIGSTORE } from '../helpers/cli.js';
import { checkTreeHeads, type TreeHead, treeHeadOf } from './tree-heads.js';

export interface LoadReport {
  clients: number;
  durationMs: number;
  acknowledged: { v1: number; v2: number };
  clientFailures: number;
  killedAtMs: number | undefined;
  restartMs: number | undefined;
  acknowledgedBeforeKill: number;
  checked: number;
  /** Distinct tree heads handed out with the acknowledged entries, proved consistent with the final trees. */
  treeHeads: { handedOut: number; beforeKill: number; consistent: number };
  final: { v1Size: number; v2Size: number };
  problems: string[];
}

interface Instance {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function startServe(dataDir: string, port?: number): Promise<Instance> {
  return new Promise((resolve, reject) => {
    const args = [SIGSTORE, 'instance', 'serve', '--data-dir', dataDir, ...(port !== undefined ? ['--port', String(port)] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the instance did not start: ${out}`)), 60_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the instance exited (${code}): ${out}`));
    });
  });
}

function waitExit(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r(child.exitCode);
    else child.on('exit', (code) => r(code));
  });
}

interface Recorded {
  version: 1 | 2;
  logIndex: string;
  body: string;
  /** The signed checkpoint handed out with the entry. */
  checkpoint?: string;
  at: number;
}

/**
 * A GET of JSON. A transport failure is tried again (twice): the checks after the run can keep
 * the event loop busy past the instance's keep-alive timeout, so a pooled connection may have
 * been closed by the server when it is reused (EPIPE, a reset), which any client retries for a GET.
 */
async function getJson<T>(url: string): Promise<T> {
  let res: Response | undefined;
  for (let attempt = 1; !res; attempt++) {
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      if (attempt === 3 || !(e instanceof TypeError)) throw e;
    }
  }
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The root hash and size of a signed note's body (origin, size, base64 root). */
function checkpointOf(note: string): { size: number; root: Buffer } {
  const lines = note.split('\n');
  return { size: Number(lines[1]), root: Buffer.from(lines[2]!, 'base64') };
}

/** RFC 6962 PATH(m, D[n]): the inclusion proof of leaf `m` among `leaves`. */
function inclusionPath(m: number, leaves: Buffer[]): Buffer[] {
  const mth = (l: Buffer[]): Buffer => {
    if (l.length === 1) return l[0]!;
    let k = 1;
    while (k * 2 < l.length) k *= 2;
    return nodeHash(mth(l.slice(0, k)), mth(l.slice(k)));
  };
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  if (m < k) return [...inclusionPath(m, leaves.slice(0, k)), mth(leaves.slice(k))];
  return [...inclusionPath(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

/** Every Rekor v2 leaf hash, from the level-0 tiles. */
async function v2Leaves(url: string, size: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let t = 0; t * 256 < size; t++) {
    const width = Math.min(256, size - t * 256);
    const path = `${url}/api/v2/tile/0/${tileIndexPath(t)}${width < 256 ? `.p/${width}` : ''}`;
    const res = await fetch(path, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    const b = Buffer.from(await res.arrayBuffer());
    for (let i = 0; i < width; i++) out.push(b.subarray(32 * i, 32 * i + 32));
  }
  return out;
}

/**
 * Runs the load campaign: `clients` processes (half on Rekor v1, half on v2), each with
 * `concurrency` signing loops, for `durationMs`; the instance is killed with SIGKILL at
 * `killAtMs` (none when undefined) and restarted on the same data directory and port.
 */
export async function runLoadCampaign({
  clients = 4,
  concurrency = 2,
  durationMs = 60_000,
  killAtMs = Math.floor(durationMs / 2),
  log,
}: { clients?: number; concurrency?: number; durationMs?: number; killAtMs?: number | undefined; log?: (m: string) => void } = {}): Promise<LoadReport> {
  const dir = mkdtempSync(join(tmpdir(), 'sigstore-ts-load-'));
  const dataDir = join(dir, 'instance');
  const report: LoadReport = {
    clients,
    durationMs,
    acknowledged: { v1: 0, v2: 0 },
    clientFailures: 0,
    killedAtMs: undefined,
    restartMs: undefined,
    acknowledgedBeforeKill: 0,
    checked: 0,
    treeHeads: { handedOut: 0, beforeKill: 0, consistent: 0 },
    final: { v1Size: 0, v2Size: 0 },
    problems: [],
  };
  let inst = await startServe(dataDir, 0);
  let killedAt: number | undefined;
  const port = Number(new URL(inst.url).port);
  log?.(`instance serving on ${inst.url}`);
  const kids: ChildProcess[] = [];
  try {
    const trustConfig = join(dataDir, 'trust_config.json');
    // Clients start together; the deadline counts from when they are all up.
    const startAt = Date.now() + 3000;
    const deadline = startAt + durationMs;
    const records = Array.from({ length: clients }, (_, i) => join(dir, `client-${i}.jsonl`));
    for (let i = 0; i < clients; i++) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, 'load-client.ts'), trustConfig, inst.url, String((i % 2) + 1), String(deadline), records[i]!, String(i), String(concurrency)],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let err = '';
      child.stderr!.on('data', (c: Buffer) => {
        err += c.toString();
      });
      child.on('exit', (code) => {
        if (code !== 0) report.problems.push(`client ${i} exited with ${code}: ${err.slice(-500)}`);
      });
      kids.push(child);
    }
    if (killAtMs !== undefined) {
      await new Promise((r) => setTimeout(r, Math.max(0, startAt + killAtMs - Date.now())));
      const ackBefore = records.map((f) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0)).reduce((a, b) => a + b, 0);
      inst.child.kill('SIGKILL');
      await waitExit(inst.child);
      killedAt = Date.now();
      report.killedAtMs = killedAt - startAt;
      report.acknowledgedBeforeKill = ackBefore;
      log?.(`kill -9 at ${(report.killedAtMs / 1000).toFixed(1)} s (${ackBefore} entries acknowledged so far)`);
      const restarted = Date.now();
      inst = await startServe(dataDir, port);
      report.restartMs = Date.now() - restarted;
      log?.(`restarted in ${report.restartMs} ms on ${inst.url}`);
    }
    await Promise.all(kids.map(waitExit));
    const acks: Recorded[] = [];
    for (const f of records) {
      if (existsSync(f)) for (const l of readFileSync(f, 'utf8').split('\n').filter(Boolean)) acks.push(JSON.parse(l) as Recorded);
      if (existsSync(`${f}.stats`)) report.clientFailures += (JSON.parse(readFileSync(`${f}.stats`, 'utf8')) as { failures: number }).failures;
    }
    report.acknowledged.v1 = acks.filter((a) => a.version === 1).length;
    report.acknowledged.v2 = acks.filter((a) => a.version === 2).length;
    log?.(`${acks.length} entries acknowledged (v1 ${report.acknowledged.v1}, v2 ${report.acknowledged.v2}); checking them against the final trees`);

    // Rekor v1: the final tree head, then each entry with its proof.
    const info = await getJson<{ rootHash: string; treeSize: number; signedTreeHead: string }>(`${inst.url}/api/v1/log`);
    report.final.v1Size = info.treeSize;
    const v1Root = Buffer.from(info.rootHash, 'hex');
    const sth = checkpointOf(info.signedTreeHead);
    if (sth.size !== info.treeSize || !sth.root.equals(v1Root)) report.problems.push('Rekor v1: the signed tree head is not the tree');
    const seen = new Set<string>();
    for (const a of acks.filter((x) => x.version === 1)) {
      const key = `1/${a.logIndex}`;
      if (seen.has(key)) report.problems.push(`Rekor v1 entry ${a.logIndex} acknowledged twice`);
      seen.add(key);
      const got = await getJson<Record<string, { body: string; verification: { inclusionProof: { logIndex: number; rootHash: string; treeSize: number; hashes: string[] } } }>>(
        `${inst.url}/api/v1/log/entries?logIndex=${a.logIndex}`,
      );
      const e = Object.values(got)[0]!;
      const proof = e.verification.inclusionProof;
      const leaf = leafHash(Buffer.from(a.body, 'base64'));
      const root = rootFromInclusionProof(BigInt(a.logIndex), BigInt(proof.treeSize), leaf, proof.hashes.map((h) => Buffer.from(h, 'hex')));
      if (e.body !== a.body) report.problems.push(`Rekor v1 entry ${a.logIndex}: another body in the log`);
      else if (proof.treeSize !== info.treeSize) report.problems.push(`Rekor v1 entry ${a.logIndex}: the proof is for tree size ${proof.treeSize}, not the final ${info.treeSize}`);
      else if (!root?.equals(v1Root)) report.problems.push(`Rekor v1 entry ${a.logIndex}: the inclusion proof does not lead to the final root`);
      else report.checked++;
    }

    // Rekor v2: the final checkpoint, every leaf from the tiles, a proof per entry.
    const cpText = await (await fetch(`${inst.url}/api/v2/checkpoint`, { signal: AbortSignal.timeout(30_000) })).text();
    const cp = checkpointOf(cpText);
    report.final.v2Size = cp.size;
    const leaves = await v2Leaves(inst.url, cp.size);
    for (const a of acks.filter((x) => x.version === 2)) {
      const i = Number(a.logIndex);
      const key = `2/${a.logIndex}`;
      if (seen.has(key)) report.problems.push(`Rekor v2 entry ${a.logIndex} acknowledged twice`);
      seen.add(key);
      const leaf = leafHash(Buffer.from(a.body, 'base64'));
      if (i >= cp.size) {
        report.problems.push(`Rekor v2 entry ${i}: beyond the final tree (size ${cp.size}): lost`);
        continue;
      }
      if (!leaves[i]!.equals(leaf)) {
        report.problems.push(`Rekor v2 entry ${i}: another leaf in the log`);
        continue;
      }
      const root = rootFromInclusionProof(BigInt(i), BigInt(cp.size), leaf, inclusionPath(i, leaves));
      if (!root?.equals(cp.root)) report.problems.push(`Rekor v2 entry ${i}: the inclusion proof does not lead to the final checkpoint's root`);
      else report.checked++;
    }

    // Every tree head handed out (before and after the kill -9) is a prefix of the final tree:
    // Rekor v1 by the log's consistency proofs, Rekor v2 by recomputing the prefix from the tiles.
    const heads = (version: 1 | 2): TreeHead[] =>
      acks.filter((a) => a.version === version && a.checkpoint).map((a) => ({ ...treeHeadOf(a.checkpoint!), at: a.at }));
    const distinct = (hs: TreeHead[]) => new Set(hs.map((h) => `${h.size}/${h.root.toString('hex')}`)).size;
    const [h1, h2] = [heads(1), heads(2)];
    report.treeHeads.handedOut = distinct(h1) + distinct(h2);
    report.treeHeads.beforeKill = killedAt === undefined ? 0 : distinct([...h1, ...h2].filter((h) => h.at! < killedAt!));
    const v1 = await checkTreeHeads('Rekor v1', h1, { size: info.treeSize, root: v1Root }, {
      proof: async (size) =>
        (await getJson<{ hashes: string[] }>(`${inst.url}/api/v1/log/proof?firstSize=${size}&lastSize=${info.treeSize}`)).hashes.map((h) => Buffer.from(h, 'hex')),
    });
    const v2 = await checkTreeHeads('Rekor v2', h2, cp, { leaves });
    report.treeHeads.consistent = v1.checked + v2.checked;
    report.problems.push(...v1.problems, ...v2.problems);
  } finally {
    for (const k of kids) if (k.exitCode === null) k.kill('SIGKILL');
    inst.child.kill('SIGTERM');
    await waitExit(inst.child);
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}
