/**
 * Tree heads handed out by a log, checked against its final tree: every (size, root) a client
 * saw must be a prefix of the final tree, proved by an RFC 9162 consistency proof (verified here
 * independently of src/verify) or, when every leaf is at hand, by recomputing the prefix's root.
 */
// The RFC 6962/9162 computations, written once for the tests (test/instance/helpers.ts) and
// independent of src/verify: a tree's root, every prefix's root, a consistency proof's check.
import { mth, prefixRoots, verifyConsistencyProof } from '../instance/helpers.js';

export { mth as rootOf, verifyConsistencyProof as verifyConsistency };

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
    if ('leaves' in evidence) ok = prefixes?.[h.size]?.equals(h.root) ?? false;
    else ok = verifyConsistencyProof(h.size, final.size, h.root, final.root, await evidence.proof(h.size));
    if (ok) checked++;
    else problems.push(`${log}: the tree head of size ${h.size} handed out is not consistent with the final tree (size ${final.size})`);
  }
  return { checked, problems };
}
