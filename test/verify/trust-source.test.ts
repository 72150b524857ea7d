/**
 * One source of truth for trust: verifyMany (thread and process workers) and VerifierPool
 * verify against exactly the trust material the caller passed. For each conformance trusted
 * root with several happy-path bundles, every log, CT log, CA and TSA is removed in turn (and each whole
 * list), through the public API: the workers must give the outcome the calling thread gives,
 * same step and code. It runs the built library (dist/index.js), as the workers do.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type * as Lib from '../../src/index.js';
import { conformanceCases } from '../helpers/conformance.js';

const lib = (await import(pathToFileURL('dist/index.js').href)) as typeof Lib;
const { VerifierPool, buildTrustMaterial, parseTrustedRoot, trustedRootJson, unsafeAcceptAnyIdentity, verifyMany } = lib;
type TrustMaterial = Lib.TrustMaterial;
type Item = Lib.VerifyManyItem;
type Outcome = Lib.VerifyManyOutcome;

const PRODUCTION = 'trust/production/trusted_root.json';
const policy = unsafeAcceptAnyIdentity();

/** Happy-path cases signed with a certificate, grouped by the trusted root they verify with. */
const groups = new Map<string, Item[]>();
for (const c of conformanceCases()) {
  if (c.shouldFail || c.keyPath) continue;
  const root = readFileSync(c.trustedRootPath ?? PRODUCTION, 'utf8');
  const items = groups.get(root) ?? [];
  items.push({ bundle: readFileSync(c.bundlePath, 'utf8'), artifact: { path: c.artifactPath } });
  groups.set(root, items);
}

type ListName = 'tlogs' | 'ctlogs' | 'certificateAuthorities' | 'timestampAuthorities';
const LISTS: ListName[] = ['tlogs', 'ctlogs', 'certificateAuthorities', 'timestampAuthorities'];

/** The trust material with one list emptied, or one of its entries removed. */
function reductions(trust: TrustMaterial): { name: string; trust: TrustMaterial; whole: boolean }[] {
  const out: { name: string; trust: TrustMaterial; whole: boolean }[] = [];
  for (const list of LISTS) {
    out.push({ name: `no ${list}`, trust: buildTrustMaterial({ ...trust, [list]: [] }), whole: true });
    const entries = trust[list] as unknown[];
    for (let i = 0; i < entries.length; i++) {
      out.push({ name: `without ${list}[${i}]`, trust: buildTrustMaterial({ ...trust, [list]: entries.filter((_, j) => j !== i) }), whole: false });
    }
  }
  return out;
}

/** What an outcome says, comparably: ok, or the error's class, step and code. */
function summary(o: Outcome): string {
  if (o.ok) return 'ok';
  const e = o.error as Error & { code?: string; step?: string };
  return `${e.name}:${e.step}:${e.code}`;
}

const onThisThread = async (trust: TrustMaterial, items: Item[]) => (await verifyMany(trust, items, policy, { threads: 1 })).map(summary);

async function onPool(trust: TrustMaterial, items: Item[], mode: 'processes' | 'threads'): Promise<string[]> {
  const pool = await VerifierPool.start(trust, { workers: 1, callingThread: false, mode });
  try {
    return (await pool.verifyMany(items, policy)).map(summary);
  } finally {
    await pool.close();
  }
}

let groupNo = 0;
// Roots with several bundles (production, the Rekor v2 staging root), so the workers and the
// calling thread each take some.
const bigGroups = [...groups].filter(([, i]) => i.length >= 4);
for (const [rootText, items] of bigGroups) {
  const n = ++groupNo;
  const trust = parseTrustedRoot(rootText, `root ${n}`);

  test(`root ${n} (${items.length} bundles): the full root verifies them all, everywhere`, async () => {
    assert.deepEqual(await onThisThread(trust, items), items.map(() => 'ok'));
    assert.deepEqual((await verifyMany(trust, items, policy, { threads: 2 })).map(summary), items.map(() => 'ok'));
  });

  test(`root ${n}: with a log, CT log, CA or TSA removed, a VerifierPool (and verifyMany's worker threads, lists emptied) refuse exactly as this thread does`, async () => {
    let refusals = 0;
    for (const r of reductions(trust)) {
      const expected = await onThisThread(r.trust, items);
      refusals += expected.filter((s) => s !== 'ok').length;
      if (r.whole && r.name !== 'no timestampAuthorities') assert.ok(expected.every((s) => s !== 'ok'), `${r.name}: every bundle is refused on this thread`);
      if (r.whole) assert.deepEqual((await verifyMany(r.trust, items, policy, { threads: 2, mode: 'threads' })).map(summary), expected, `verifyMany threads, ${r.name}`);
      assert.deepEqual(await onPool(r.trust, items, 'threads'), expected, `VerifierPool, ${r.name}`);
    }
    assert.ok(refusals > items.length, 'the reductions refuse bundles');
  });

  test(`root ${n}: with a whole list removed, worker processes refuse exactly as this thread does`, async () => {
    for (const r of reductions(trust).filter((x) => x.whole)) {
      const expected = await onThisThread(r.trust, items);
      assert.deepEqual((await verifyMany(r.trust, items, policy, { threads: 2, mode: 'processes' })).map(summary), expected, `verifyMany processes, ${r.name}`);
    }
  });

  test(`root ${n}: material derived by spreading (not built) is what workers verify against too`, async () => {
    const noCa = { ...trust, certificateAuthorities: [] } as TrustMaterial;
    const expected = await onThisThread(noCa, items);
    assert.ok(expected.every((s) => s.endsWith(':chain:CHAIN_UNTRUSTED')), expected.join());
    assert.deepEqual((await verifyMany(noCa, items, policy, { threads: 2 })).map(summary), expected);
    assert.deepEqual(await onPool(noCa, items, 'threads'), expected);
  });

  test(`root ${n}: trustedRootJson says what the material says`, () => {
    const again = parseTrustedRoot(JSON.stringify(trustedRootJson(trust)), 'again');
    assert.deepEqual(trustedRootJson(again), trustedRootJson(trust));
    const reduced = buildTrustMaterial({ ...trust, ctlogs: trust.ctlogs.slice(1) });
    assert.equal((trustedRootJson(reduced).ctlogs as unknown[]).length, trust.ctlogs.length - 1);
  });
}

test('verifyMany reuses warm workers only for the same trusted root content', async () => {
  const [rootText, items] = bigGroups[0]!;
  const a = parseTrustedRoot(rootText, 'same');
  const b = parseTrustedRoot(rootText, 'same');
  assert.deepEqual((await verifyMany(a, items, policy, { threads: 2 })).map(summary), items.map(() => 'ok'));
  // Equal content, another object: verifies the same.
  assert.deepEqual((await verifyMany(b, items, policy, { threads: 2 })).map(summary), items.map(() => 'ok'));
  // Right after, the same content less its CAs: the warm workers of the full root must not answer.
  const noCa = buildTrustMaterial({ ...b, certificateAuthorities: [] });
  const out = (await verifyMany(noCa, items, policy, { threads: 2 })).map(summary);
  assert.ok(out.every((s) => s.endsWith(':chain:CHAIN_UNTRUSTED')), out.join());
});
