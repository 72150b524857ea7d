/**
 * Tree heads handed out by a log, checked against its final tree: every (size, root) a client
 * saw must be a prefix of the final tree, proved by an RFC 9162 consistency proof (verified here
 * independently of src/verify) or, when every leaf is at hand, by recomputing the prefix's root.
 */
import { createHash } from 'node:crypto';
import { prefixRoots } from '../instance/helpers.js';

const node = (l: Buffer, r: Buffer): Buffer => createHash('sha256').update(Buffer.from([1])).update(l).update(r).digest();

/** RFC 9162 section 2.1.4.2: verifies a consistency proof between two tree heads. */
export function verifyConsistency(first: number, second: number, firstRoot: Buffer, secondRoot: Buffer, proof: Buffer[]): boolean {
  if (first > second) return false;
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (first === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [...proof];
  let fn = BigInt(first - 1);
  let sn = BigInt(second - 1);
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = node(c, fr);
      sr = node(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = node(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && fr.equals(firstRoot) && sr.equals(secondRoot);
}

/** RFC 6962 MTH over leaf hashes. */
export function rootOf(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return node(rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}

export interface TreeHead {
  size: number;
  root: Buffer;
  /** When it was handed out (ms since the epoch), for the report. */
  at?: number;
}

/** The (size, root) of a signed note's body. */
export function treeHeadOf(note: string): TreeHead {
  const lines = note.split('\n');
  return { size: Number(lines[1]), root: Buffer.from(lines[2] ?? '', 'base64') };
}

/**
 * Checks every distinct tree head against the final tree; returns one problem per inconsistent
 * head. `proof(size)` fetches a consistency proof from `size` to the final size, or `leaves`
 * gives every leaf hash of the final tree.
 */
export async function checkTreeHeads(
  log: string,
  heads: TreeHead[],
  final: TreeHead,
  evidence: { proof: (size: number) => Promise<Buffer[]> } | { leaves: Buffer[] },
): Promise<{ checked: number; problems: string[] }> {
  const problems: string[] = [];
  const seen = new Map<number, Buffer>();
  let checked = 0;
  // Every prefix's root in one pass (a root per head would be quadratic in the leaves).
  const prefixes = 'leaves' in evidence ? prefixRoots(evidence.leaves) : undefined;
  for (const h of heads) {
    const prev = seen.get(h.size);
    if (prev) {
      if (!prev.equals(h.root)) problems.push(`${log}: two different roots handed out for tree size ${h.size} (a split view)`);
      continue;
    }
    seen.set(h.size, h.root);
    if (h.size > final.size) {
      problems.push(`${log}: a tree head of size ${h.size} was handed out, but the final tree has ${final.size} leaves (entries lost)`);
      continue;
    }
    let ok: boolean;
    if (prefixes) ok = prefixes[h.size]?.equals(h.root) ?? false;
    else if ('proof' in evidence) ok = verifyConsistency(h.size, final.size, h.root, final.root, await evidence.proof(h.size));
    else ok = false;
    if (ok) checked++;
    else problems.push(`${log}: the tree head of size ${h.size} handed out is not consistent with the final tree (size ${final.size})`);
  }
  return { checked, problems };
}
