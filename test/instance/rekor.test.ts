/**
 * Rekor v1 and v2 under load and across a crash, against `sigstore instance serve` running as a
 * child process: 1,000 entries appended concurrently to each log, every returned inclusion proof
 * and checkpoint checked (with an independent RFC 6962 implementation and the keys from the
 * trusted root), the final trees recomputed from the entries (v2: read back through the tiles
 * API); then kill -9 in the middle of a stream of appends, restart, and check that every
 * acknowledged entry is still there at its index and that new entries extend the same tree.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import canonicalize from 'canonicalize';
import {
  type Child,
  type HttpResult,
  http,
  leaf,
  openCheckpoint,
  prefixRoots,
  resetHttpAgent,
  serveChild,
  tempDir,
  tlogKey,
  verifyConsistencyProof,
  verifyInclusionProof,
} from './helpers.js';

const N = 1000;
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pubPem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
const pubDer = publicKey.export({ format: 'der', type: 'spki' });
const run = randomBytes(6).toString('hex');

const made1 = new Map<number, object>();
const made2 = new Map<number, object>();

/** The i-th Rekor v1 proposed entry (the same object each time: ECDSA signatures are randomized). */
function v1Entry(i: number): object {
  if (!made1.has(i)) made1.set(i, makeV1Entry(i));
  return made1.get(i)!;
}

function v2Entry(i: number): object {
  if (!made2.has(i)) made2.set(i, makeV2Entry(i));
  return made2.get(i)!;
}

function makeV1Entry(i: number): object {
  const data = Buffer.from(`v1 artifact ${run} ${i}`);
  if (i % 10 === 9) {
    const payload = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', n: i, run }));
    const type = 'application/vnd.in-toto+json';
    const pae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${payload.length} `), payload]);
    const envelope = JSON.stringify({ payloadType: type, payload: payload.toString('base64'), signatures: [{ keyid: '', sig: sign('sha256', pae, privateKey).toString('base64') }] });
    return { apiVersion: '0.0.1', kind: 'dsse', spec: { proposedContent: { envelope, verifiers: [Buffer.from(pubPem).toString('base64')] } } };
  }
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(data).digest('hex') } },
      signature: { content: sign('sha256', data, privateKey).toString('base64'), publicKey: { content: Buffer.from(pubPem).toString('base64') } },
    },
  };
}

function makeV2Entry(i: number): object {
  const verifier = { publicKey: { rawBytes: pubDer.toString('base64') }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' };
  if (i % 10 === 9) {
    const payload = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', n: i, run, v: 2 }));
    const type = 'application/vnd.in-toto+json';
    const pae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${payload.length} `), payload]);
    // A DSSE envelope goes to Rekor v2 as a hashedrekord over the SHA-256 of its PAE.
    return {
      hashedRekordRequestV002: {
        digest: createHash('sha256').update(pae).digest('base64'),
        signature: { content: sign('sha256', pae, privateKey).toString('base64'), verifier },
      },
    };
  }
  const data = Buffer.from(`v2 artifact ${run} ${i}`);
  return {
    hashedRekordRequestV002: {
      digest: createHash('sha256').update(data).digest('base64'),
      signature: { content: sign('sha256', data, privateKey).toString('base64'), verifier },
    },
  };
}

interface V1Entry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification: {
    inclusionProof: { checkpoint: string; hashes: string[]; logIndex: number; rootHash: string; treeSize: number };
    signedEntryTimestamp: string;
  };
}

interface V2Entry {
  logIndex: string;
  logId: { keyId: string };
  kindVersion: { kind: string; version: string };
  inclusionProof: { logIndex: string; rootHash: string; treeSize: string; hashes: string[]; checkpoint: { envelope: string } };
  canonicalizedBody: string;
}

describe('Rekor v1 and v2: 1,000 concurrent entries each, then kill -9 and restart', () => {
  const tmp = tempDir();
  let child: Child;
  let trustedRoot: Record<string, unknown>;
  let host: string;
  const v1Acked = new Map<number, V1Entry>();
  const v2Acked = new Map<number, V2Entry>();
  let v1Final: { size: number; root: Buffer };
  let v2Final: { size: number; root: Buffer };

  before(async () => {
    child = await serveChild(tmp.dir, ['--port', '0']);
    host = new URL(child.url).host;
    trustedRoot = (JSON.parse(readFileSync(join(tmp.dir, 'trust_config.json'), 'utf8')) as { trustedRoot: Record<string, unknown> }).trustedRoot;
  });
  after(async () => {
    child?.proc.kill('SIGKILL');
    resetHttpAgent();
    tmp.cleanup();
  });

  function checkV1(id: string, e: V1Entry): void {
    const body = Buffer.from(e.body, 'base64');
    const lh = leaf(body);
    assert.equal(id.slice(16), lh.toString('hex'), 'the entry UUID is its leaf hash');
    const p = e.verification.inclusionProof;
    assert.equal(p.logIndex, e.logIndex);
    const root = Buffer.from(p.rootHash, 'hex');
    assert.ok(
      verifyInclusionProof(
        lh,
        p.logIndex,
        p.treeSize,
        p.hashes.map((h) => Buffer.from(h, 'hex')),
        root,
      ),
      `v1 inclusion proof of ${e.logIndex} verifies`,
    );
    const key = tlogKey(trustedRoot, Buffer.from(e.logID, 'hex').toString('base64'));
    const cp = openCheckpoint(p.checkpoint, key);
    assert.equal(cp.size, p.treeSize);
    assert.ok(cp.root.equals(root));
    assert.equal(cp.name, host);
    assert.match(cp.origin, new RegExp(`^${host.replace(/\./g, '\\.')} - \\d+$`));
    assert.ok(cp.hint.equals(Buffer.from(e.logID, 'hex').subarray(0, 4)));
    const setPayload = canonicalize({ body: e.body, integratedTime: e.integratedTime, logID: e.logID, logIndex: e.logIndex })!;
    assert.ok(verify('sha256', Buffer.from(setPayload), key, Buffer.from(e.verification.signedEntryTimestamp, 'base64')), 'SET verifies');
  }

  function checkV2(e: V2Entry): void {
    const body = Buffer.from(e.canonicalizedBody, 'base64');
    const parsed = JSON.parse(body.toString('utf8')) as { kind: string; apiVersion: string };
    assert.equal(parsed.kind, e.kindVersion.kind);
    assert.equal(parsed.apiVersion, '0.0.2');
    const lh = leaf(body);
    const p = e.inclusionProof;
    const root = Buffer.from(p.rootHash, 'base64');
    assert.ok(
      verifyInclusionProof(
        lh,
        Number(e.logIndex),
        Number(p.treeSize),
        p.hashes.map((h) => Buffer.from(h, 'base64')),
        root,
      ),
      `v2 inclusion proof of ${e.logIndex} verifies`,
    );
    const key = tlogKey(trustedRoot, e.logId.keyId);
    const cp = openCheckpoint(p.checkpoint.envelope, key);
    assert.equal(cp.origin, host, 'the v2 origin is the log URL without scheme');
    assert.equal(cp.name, host);
    assert.ok(cp.hint.equals(Buffer.from(e.logId.keyId, 'base64').subarray(0, 4)), 'key hint = first 4 bytes of the log ID');
    assert.equal(cp.size, Number(p.treeSize));
    assert.ok(cp.root.equals(root));
    assert.equal((e as unknown as Record<string, unknown>).inclusionPromise, undefined, 'no SET in Rekor v2');
  }

  async function v2Leaves(url: string, size: number): Promise<Buffer[]> {
    const bodies: Buffer[] = [];
    const full = Math.floor(size / 256);
    const tilePath = (n: number) => {
      const g: string[] = [];
      let v = n;
      do {
        g.unshift(String(v % 1000).padStart(3, '0'));
        v = Math.floor(v / 1000);
      } while (v > 0);
      return g.map((x, i) => (i < g.length - 1 ? `x${x}` : x)).join('/');
    };
    for (let t = 0; t <= full; t++) {
      const width = t < full ? 256 : size % 256;
      if (width === 0) break;
      const res = await http('GET', `${url}/api/v2/tile/entries/${tilePath(t)}${width < 256 ? `.p/${width}` : ''}`);
      assert.equal(res.status, 200);
      let off = 0;
      while (off < res.body.length) {
        const len = res.body.readUInt16BE(off);
        bodies.push(res.body.subarray(off + 2, off + 2 + len));
        off += 2 + len;
      }
      // The level-0 tile holds the same leaves' hashes.
      const hashes = await http('GET', `${url}/api/v2/tile/0/${tilePath(t)}${width < 256 ? `.p/${width}` : ''}`);
      assert.equal(hashes.status, 200);
      assert.equal(hashes.body.length, 32 * width);
      for (let i = 0; i < width; i++) assert.ok(hashes.body.subarray(32 * i, 32 * i + 32).equals(leaf(bodies[t * 256 + i]!)));
    }
    assert.equal(bodies.length, size);
    return bodies;
  }

  /**
   * POSTs an entry; a connection reset (a loaded machine can starve the server past a keep-alive
   * timeout) is retried: the log then answers 409 (v1, with the entry's location) or the existing
   * entry (v2) if the first attempt was logged.
   */
  async function append(v: 1 | 2, body: object): Promise<HttpResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await http('POST', `${child.url}/api/v${v}/log/entries`, body);
        if (r.status === 409 && attempt > 0) {
          const got = await http('GET', `${child.url}${r.headers.location}`);
          return { ...got, status: 201, headers: { ...got.headers, location: r.headers.location } };
        }
        return r;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET' || attempt >= 2) throw e;
      }
    }
  }

  it(`appends ${N} Rekor v1 and ${N} Rekor v2 entries concurrently; every proof verifies against the final checkpoint`, async () => {
    const url = child.url;
    const results = await Promise.all([
      ...Array.from({ length: N }, (_, i) => append(1, v1Entry(i)).then((r) => ({ v: 1 as const, r }))),
      ...Array.from({ length: N }, (_, i) => append(2, v2Entry(i)).then((r) => ({ v: 2 as const, r }))),
    ]);
    for (const { v, r } of results) {
      assert.equal(r.status, 201, `v${v} append answered ${r.status}: ${r.text()}`);
      if (v === 1) {
        const [[id, e]] = Object.entries(r.json<Record<string, V1Entry>>()) as [[string, V1Entry]];
        assert.equal(r.headers.location, `/api/v1/log/entries/${id}`);
        checkV1(id, e);
        assert.ok(!v1Acked.has(e.logIndex), 'indexes are unique');
        v1Acked.set(e.logIndex, e);
      } else {
        const e = r.json<V2Entry>();
        checkV2(e);
        assert.ok(!v2Acked.has(Number(e.logIndex)));
        v2Acked.set(Number(e.logIndex), e);
      }
    }
    assert.equal(v1Acked.size, N);
    assert.equal(v2Acked.size, N);

    // v1: the final checkpoint covers all N entries; every returned root is the root of a prefix
    // of the final tree (so every proof verifies against the final checkpoint's tree too).
    const info = (await http('GET', `${url}/api/v1/log`)).json<{ treeSize: number; rootHash: string; signedTreeHead: string; treeID: string }>();
    assert.equal(info.treeSize, N);
    const firstV1 = v1Acked.get(0)!;
    const cp1 = openCheckpoint(info.signedTreeHead, tlogKey(trustedRoot, Buffer.from(firstV1.logID, 'hex').toString('base64')));
    assert.equal(cp1.size, N);
    assert.equal(cp1.origin, `${host} - ${info.treeID}`);
    const leaves1 = Array.from({ length: N }, (_, i) => leaf(Buffer.from(v1Acked.get(i)!.body, 'base64')));
    const roots1 = prefixRoots(leaves1);
    assert.ok(roots1[N]!.equals(cp1.root), 'the final v1 root is the root of the entries');
    const sizes1 = new Set<number>();
    for (const e of v1Acked.values()) {
      const p = e.verification.inclusionProof;
      assert.ok(roots1[p.treeSize]!.equals(Buffer.from(p.rootHash, 'hex')), 'each returned v1 root is a prefix root of the final tree');
      sizes1.add(p.treeSize);
    }
    // The log's own consistency proofs agree, for every tree size it answered with.
    for (const s of sizes1) {
      const proof = (await http('GET', `${url}/api/v1/log/proof?firstSize=${s}&lastSize=${N}`)).json<{ hashes: string[]; rootHash: string }>();
      assert.ok(
        verifyConsistencyProof(
          s,
          N,
          roots1[s]!,
          cp1.root,
          proof.hashes.map((h) => Buffer.from(h, 'hex')),
        ),
        `consistency ${s} -> ${N}`,
      );
    }
    // And entries fetched now carry proofs against the final checkpoint itself.
    for (const i of [0, 1, 499, N - 1]) {
      const r = (await http('GET', `${url}/api/v1/log/entries?logIndex=${i}`)).json<Record<string, V1Entry>>();
      const [[id, e]] = Object.entries(r) as [[string, V1Entry]];
      checkV1(id, e);
      assert.equal(e.verification.inclusionProof.treeSize, N);
    }
    v1Final = { size: N, root: cp1.root };

    // v2: the same, with the leaves read back through the tiles API.
    const cpText = (await http('GET', `${url}/api/v2/checkpoint`)).text();
    const cp2 = openCheckpoint(cpText, tlogKey(trustedRoot, v2Acked.get(0)!.logId.keyId));
    assert.equal(cp2.size, N);
    const bodies2 = await v2Leaves(url, N);
    for (const [i, e] of v2Acked) assert.ok(bodies2[i]!.equals(Buffer.from(e.canonicalizedBody, 'base64')), `tile entry ${i} is the acknowledged body`);
    const roots2 = prefixRoots(bodies2.map((b) => leaf(b)));
    assert.ok(roots2[N]!.equals(cp2.root), 'the final v2 root is the root of the entries');
    for (const e of v2Acked.values()) {
      assert.ok(roots2[Number(e.inclusionProof.treeSize)]!.equals(Buffer.from(e.inclusionProof.rootHash, 'base64')), 'each returned v2 root is a prefix root');
    }
    v2Final = { size: N, root: cp2.root };
  });

  it('keeps every acknowledged entry across kill -9, and new entries extend the same tree', async () => {
    const url = child.url;
    const acked1 = new Map<number, V1Entry>();
    const acked2 = new Map<number, V2Entry>();
    const pending: Promise<void>[] = [];
    let killed = false;
    let i = N;
    // A stream of appends, 16 at a time per log; kill -9 once 150 are acknowledged.
    const worker = async (v: 1 | 2) => {
      while (!killed) {
        const n = i++;
        try {
          const r = await http('POST', `${url}/api/v${v}/log/entries`, v === 1 ? v1Entry(n) : v2Entry(n));
          if (r.status !== 201) continue;
          if (v === 1) {
            const e = Object.values(r.json<Record<string, V1Entry>>())[0]!;
            acked1.set(e.logIndex, e);
          } else {
            const e = r.json<V2Entry>();
            acked2.set(Number(e.logIndex), e);
          }
          if (!killed && acked1.size + acked2.size >= 150) {
            killed = true;
            child.proc.kill('SIGKILL');
          }
        } catch {
          // connection reset or refused: not acknowledged
        }
      }
    };
    for (let w = 0; w < 16; w++) pending.push(worker(1), worker(2));
    await Promise.all(pending);
    assert.ok(await child.exited.then(() => true));
    resetHttpAgent();
    assert.ok(acked1.size + acked2.size >= 150);

    child = await serveChild(tmp.dir);
    assert.equal(child.url, url, 'the restarted instance reuses its port');

    // Rekor v1: every acknowledged entry is at its index, with the same body, and proves against
    // the new checkpoint; the pre-crash tree is a prefix of the new one.
    const info = (await http('GET', `${url}/api/v1/log`)).json<{ treeSize: number; signedTreeHead: string }>();
    const maxAcked1 = Math.max(...acked1.keys());
    assert.ok(info.treeSize > maxAcked1, `tree size ${info.treeSize} covers acknowledged index ${maxAcked1}`);
    for (const [idx, e] of acked1) {
      const r = await http('GET', `${url}/api/v1/log/entries?logIndex=${idx}`);
      assert.equal(r.status, 200);
      const [[id, got]] = Object.entries(r.json<Record<string, V1Entry>>()) as [[string, V1Entry]];
      assert.equal(got.body, e.body, `entry ${idx} survived the crash unchanged`);
      assert.equal(got.verification.signedEntryTimestamp, e.verification.signedEntryTimestamp);
      checkV1(id, got);
    }
    const key1: KeyObject = tlogKey(trustedRoot, Buffer.from(v1Acked.get(0)!.logID, 'hex').toString('base64'));
    const cpAfter = openCheckpoint(info.signedTreeHead, key1);
    const cons = (await http('GET', `${url}/api/v1/log/proof?firstSize=${v1Final.size}&lastSize=${cpAfter.size}`)).json<{ hashes: string[] }>();
    assert.ok(
      verifyConsistencyProof(
        v1Final.size,
        cpAfter.size,
        v1Final.root,
        cpAfter.root,
        cons.hashes.map((h) => Buffer.from(h, 'hex')),
      ),
      'the pre-crash v1 checkpoint is consistent with the post-restart one',
    );
    // A duplicate of an acknowledged entry is refused with 409 and its location.
    const dup = await http('POST', `${url}/api/v1/log/entries`, v1Entry(0));
    assert.equal(dup.status, 409);
    assert.match(String(dup.headers.location), /^\/api\/v1\/log\/entries\/[0-9a-f]{80}$/);

    // New entries extend the same tree.
    const before1 = cpAfter;
    const fresh = await http('POST', `${url}/api/v1/log/entries`, v1Entry(10_000_000));
    assert.equal(fresh.status, 201);
    const [[fid, fe]] = Object.entries(fresh.json<Record<string, V1Entry>>()) as [[string, V1Entry]];
    checkV1(fid, fe);
    assert.equal(fe.logIndex, before1.size, 'the next entry takes the next index');
    const cons2 = (await http('GET', `${url}/api/v1/log/proof?firstSize=${v1Final.size}&lastSize=${fe.verification.inclusionProof.treeSize}`)).json<{ hashes: string[] }>();
    assert.ok(
      verifyConsistencyProof(
        v1Final.size,
        fe.verification.inclusionProof.treeSize,
        v1Final.root,
        Buffer.from(fe.verification.inclusionProof.rootHash, 'hex'),
        cons2.hashes.map((h) => Buffer.from(h, 'hex')),
      ),
    );

    // Rekor v2: the same, read back through the tiles.
    const cpText = (await http('GET', `${url}/api/v2/checkpoint`)).text();
    const cp2 = openCheckpoint(cpText, tlogKey(trustedRoot, v2Acked.get(0)!.logId.keyId));
    const maxAcked2 = Math.max(...acked2.keys());
    assert.ok(cp2.size > maxAcked2);
    const bodies = await v2Leaves(url, cp2.size);
    for (const [idx, e] of acked2) assert.ok(bodies[idx]!.equals(Buffer.from(e.canonicalizedBody, 'base64')), `v2 entry ${idx} survived`);
    const roots = prefixRoots(bodies.map((b) => leaf(b)));
    assert.ok(roots[v2Final.size]!.equals(v2Final.root), 'the pre-crash v2 tree is a prefix of the new one');
    assert.ok(roots[cp2.size]!.equals(cp2.root));
    const fresh2 = await http('POST', `${url}/api/v2/log/entries`, v2Entry(10_000_001));
    assert.equal(fresh2.status, 201);
    const fe2 = fresh2.json<V2Entry>();
    checkV2(fe2);
    assert.equal(Number(fe2.logIndex), cp2.size);
    assert.ok(
      prefixRoots([...bodies, Buffer.from(fe2.canonicalizedBody, 'base64')].map((b) => leaf(b)))[cp2.size + 1]!.equals(Buffer.from(fe2.inclusionProof.rootHash, 'base64')),
    );
  });
});
