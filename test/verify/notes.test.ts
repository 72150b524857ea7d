/**
 * Signed notes and the `tlog` step's proof checks, with a forged Rekor log built here (its own
 * ECDSA or Ed25519 key, Merkle tree and checkpoints): the C2SP signed-note rules as Go's
 * golang.org/x/mod/sumdb/note applies them, the checkpoint's origin, root and size against the
 * inclusion proof, the sharded-log index rule, and the integrated time.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign as nodeSign } from 'node:crypto';
import { describe, it } from 'node:test';
import type { TlogEntry } from '../../src/bundle/parse.js';
import { ed25519NoteKeyId } from '../../src/instance/note.js';
import { MerkleTree } from '../../src/instance/merkle.js';
import type { TransparencyLog, TrustMaterial } from '../../src/trust/trusted-root.js';
import { MAX_NOTE_SIGNATURES, parseNote, verifyCheckpoint } from '../../src/verify/tlog/checkpoint.js';
import { MAX_CLOCK_SKEW_MS, verifyInclusionProof, verifyTlogEntry } from '../../src/verify/tlog/index.js';
import { leafHash } from '../../src/lib/merkle.js';
import { setPayload, verifySET } from '../../src/verify/tlog/set.js';
import { rejectsAt } from '../helpers/tamper.js';

const rejects = (f: () => unknown, code: string, message?: RegExp) => rejectsAt('tlog', f, code, message);

interface ForgedLog {
  log: TransparencyLog;
  priv: KeyObject;
  /** Key name on signature lines. */
  name: string;
  hint: Buffer;
}

function forgeLog(kind: 'ec' | 'ed25519' = 'ec', baseUrl = 'https://rekor.example.dev'): ForgedLog {
  const { publicKey, privateKey } = kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const name = new URL(baseUrl).host;
  const logId = kind === 'ec' ? createHash('sha256').update(spki).digest() : ed25519NoteKeyId(name, publicKey);
  const log: TransparencyLog = {
    baseUrl,
    logId,
    checkpointKeyId: kind === 'ec' ? undefined : logId,
    key: publicKey,
    keyDetails: kind === 'ec' ? 'PKIX_ECDSA_P256_SHA_256' : 'PKIX_ED25519',
    validFor: { start: new Date('2020-01-01T00:00:00Z'), end: undefined },
  };
  return { log, priv: privateKey, name, hint: logId.subarray(0, 4) };
}

function sigLine(f: ForgedLog, body: string, opts: { name?: string; hint?: Buffer; bad?: boolean } = {}): string {
  const data = Buffer.from(body, 'utf8');
  let sig = f.priv.asymmetricKeyType === 'ed25519' ? nodeSign(null, data, f.priv) : nodeSign('sha256', data, f.priv);
  if (opts.bad) sig = f.priv.asymmetricKeyType === 'ed25519' ? nodeSign(null, Buffer.from('other'), f.priv) : nodeSign('sha256', Buffer.from('other'), f.priv);
  return `\u2014 ${opts.name ?? f.name} ${Buffer.concat([opts.hint ?? f.hint, sig]).toString('base64')}\n`;
}

function body(origin: string, size: bigint | number, root: Buffer, extra: string[] = []): string {
  return `${origin}\n${size}\n${root.toString('base64')}\n${extra.map((l) => `${l}\n`).join('')}`;
}

function note(b: string, lines: string[]): string {
  return `${b}\n${lines.join('')}`;
}

function trustOf(...logs: TransparencyLog[]): TrustMaterial {
  return { tlogs: logs, ctlogs: [], certificateAuthorities: [], timestampAuthorities: [], source: 'test', mediaType: '', json: {} as never } as TrustMaterial;
}

/** A log with `size` entries; the entry at `index` with a proof and a checkpoint of the tree. */
function entryIn(f: ForgedLog, size = 7, index = 3, opts: { origin?: string } = {}): { entry: TlogEntry; tree: MerkleTree; bodies: Buffer[] } {
  const tree = new MerkleTree();
  const bodies: Buffer[] = [];
  for (let i = 0; i < size; i++) {
    const b = Buffer.from(JSON.stringify({ entry: i, salt: randomBytes(8).toString('hex') }));
    bodies.push(b);
    tree.append(leafHash(b));
  }
  const root = tree.root();
  const b = body(opts.origin ?? `${f.name} - 1193050959916656506`, size, root);
  const entry: TlogEntry = {
    logIndex: BigInt(index),
    logId: f.log.logId,
    kind: 'hashedrekord',
    version: '0.0.1',
    integratedTime: 0n,
    signedEntryTimestamp: undefined,
    inclusionProof: {
      logIndex: BigInt(index),
      rootHash: root,
      treeSize: BigInt(size),
      hashes: tree.inclusionProof(index),
      checkpoint: note(b, [sigLine(f, b)]),
    },
    canonicalizedBody: bodies[index]!,
  };
  return { entry, tree, bodies };
}

function withProof(entry: TlogEntry, changes: Partial<NonNullable<TlogEntry['inclusionProof']>>): TlogEntry {
  return { ...entry, inclusionProof: { ...entry.inclusionProof!, ...changes } };
}

function withSET(f: ForgedLog, entry: TlogEntry, integratedTime: bigint): TlogEntry {
  const e = { ...entry, integratedTime };
  return { ...e, signedEntryTimestamp: nodeSign('sha256', setPayload(e), f.priv) };
}

describe('signed notes: the C2SP rules as Go applies them', () => {
  const f = forgeLog();
  const root = randomBytes(32);
  const b = body(`${f.name} - 42`, 10, root);

  it('a note signed by the log verifies', () => {
    const cp = verifyCheckpoint(note(b, [sigLine(f, b)]), f.log);
    assert.equal(cp.origin, `${f.name} - 42`);
    assert.equal(cp.size, 10n);
    assert.ok(cp.rootHash.equals(root));
  });

  it('a bad signature from the log key rejects the note even when a good one follows', () => {
    rejects(() => verifyCheckpoint(note(b, [sigLine(f, b, { bad: true }), sigLine(f, b)]), f.log), 'CHECKPOINT_SIGNATURE_INVALID');
  });

  it('a good signature from the log key followed by a repeat is read as Go does (the first decides)', () => {
    assert.equal(verifyCheckpoint(note(b, [sigLine(f, b), sigLine(f, b, { bad: true })]), f.log).size, 10n);
  });

  it('lines from unknown keys (witnesses, other hints or names) are ignored, before or after the log line', () => {
    const w = forgeLog('ed25519', 'https://witness.example');
    const lines = [sigLine(w, b), sigLine(f, b, { name: 'witness.example/w1', bad: true }), sigLine(f, b, { hint: Buffer.from('abcd'), bad: true })];
    assert.equal(verifyCheckpoint(note(b, [...lines, sigLine(f, b)]), f.log).size, 10n);
    assert.equal(verifyCheckpoint(note(b, [sigLine(f, b), ...lines]), f.log).size, 10n);
  });

  it('a note with only unknown keys has no log signature', () => {
    rejects(() => verifyCheckpoint(note(b, [sigLine(f, b, { hint: Buffer.from('abcd') })]), f.log), 'CHECKPOINT_NO_LOG_SIGNATURE');
    rejects(() => verifyCheckpoint(note(b, [sigLine(f, b, { name: 'other.example' })]), f.log), 'CHECKPOINT_NO_LOG_SIGNATURE');
  });

  it(`at most ${MAX_NOTE_SIGNATURES} signature lines; more is refused before any signature check`, () => {
    const w = forgeLog();
    const filler = sigLine(w, b, { name: 'witness.example' });
    const ok = note(b, [sigLine(f, b), ...Array(MAX_NOTE_SIGNATURES - 1).fill(filler)]);
    assert.equal(verifyCheckpoint(ok, f.log).size, 10n);
    const tooMany = note(b, [sigLine(f, b), ...Array(MAX_NOTE_SIGNATURES).fill(filler)]);
    rejects(() => verifyCheckpoint(tooMany, f.log), 'CHECKPOINT_TOO_MANY_SIGNATURES');
    // Hundreds of thousands of lines cost a count, not a parse: refused whatever they hold.
    const huge = `${b}\n${sigLine(f, b)}${'x\n'.repeat(300_000)}`;
    rejects(() => parseNote(huge), 'CHECKPOINT_TOO_MANY_SIGNATURES');
  });

  it('the origin must be the trusted log host (Rekor v1 adds " - <tree ID>")', () => {
    const other = body('rekor.other.dev - 42', 10, root);
    rejects(() => verifyCheckpoint(note(other, [sigLine(f, other, { name: 'rekor.other.dev' })]), f.log), 'CHECKPOINT_ORIGIN_MISMATCH');
    const suffixed = body(`${f.name}.evil - 42`, 10, root);
    rejects(() => verifyCheckpoint(note(suffixed, [sigLine(f, suffixed, { name: `${f.name}.evil` })]), f.log), 'CHECKPOINT_ORIGIN_MISMATCH');
    const bare = body(f.name, 10, root);
    assert.equal(verifyCheckpoint(note(bare, [sigLine(f, bare)]), f.log).origin, f.name);
  });

  it('a log without a base URL cannot have its origin checked', () => {
    rejects(() => verifyCheckpoint(note(b, [sigLine(f, b)]), { ...f.log, baseUrl: '' }), 'CHECKPOINT_ORIGIN_UNKNOWN');
    rejects(() => verifyCheckpoint(note(b, [sigLine(f, b)]), { ...f.log, baseUrl: 'https://' }), 'CHECKPOINT_ORIGIN_UNKNOWN');
  });

  it('extension lines (C2SP tlog-checkpoint) are kept, in order', () => {
    const ext = body(`${f.name} - 42`, 10, root, ['Timestamp: 1700000000', 'other extension']);
    assert.deepEqual(verifyCheckpoint(note(ext, [sigLine(f, ext)]), f.log).extensions, ['Timestamp: 1700000000', 'other extension']);
  });

  it('Ed25519 (Rekor v2) origins: the host of the base URL, port included', () => {
    const v2 = forgeLog('ed25519', 'http://127.0.0.1:3000');
    const b2 = body('127.0.0.1:3000', 5, root);
    assert.equal(verifyCheckpoint(note(b2, [sigLine(v2, b2)]), v2.log).size, 5n);
    const b3 = body('127.0.0.1:3001', 5, root);
    rejects(() => verifyCheckpoint(note(b3, [sigLine(v2, b3, { name: '127.0.0.1:3001' })]), v2.log), 'CHECKPOINT_ORIGIN_MISMATCH');
  });

  it('malformed notes', () => {
    const good = sigLine(f, b);
    for (const [what, text] of [
      ['no blank line', `${b}${good}`],
      ['a control character', note(b.replace('\n10', '\n1\t0'), [good])],
      ['a signature line without the em dash', note(b, [good.replace('\u2014', '-')])],
      ['a key name with a plus', note(b, [good.replace(f.name, `${f.name}+x`)])],
      ['non-canonical base64', note(b, [good.replace(/=?\n$/, '==\n')])],
      ['a too short signature', note(b, [`\u2014 ${f.name} AAAAAA==\n`])],
      ['no final newline', note(b, [good]).slice(0, -1)],
      ['an empty extension line', note(`${b}\nx\n`, [good])],
      ['a tree size with a leading zero', note(b.replace('\n10\n', '\n010\n'), [good])],
      ['a tree size over 64 bits', note(b.replace('\n10\n', '\n18446744073709551616\n'), [good])],
      ['a short root hash', note(body(`${f.name} - 42`, 10, randomBytes(31)), [good])],
    ] as const) {
      rejects(() => verifyCheckpoint(text, f.log), 'CHECKPOINT_MALFORMED', undefined);
      assert.ok(what);
    }
    rejects(() => verifyCheckpoint(`${b}\n`, f.log), 'CHECKPOINT_UNSIGNED');
  });

  it('a control character anywhere is refused, even in a note the log signed', () => {
    for (const c of ['\u0001', '\t', '\r', '\u001f']) {
      const odd = body(`${f.name} - 42`, 10, root, [`Timestamp: 1${c}2`]);
      rejects(() => verifyCheckpoint(note(odd, [sigLine(f, odd)]), f.log), 'CHECKPOINT_MALFORMED', /control character/);
    }
  });

  it('the note splits at the last blank line, as Go does', () => {
    // An earlier blank line makes the rest part of the body, which a checkpoint refuses.
    rejects(() => verifyCheckpoint(`${b}\n${sigLine(f, b)}\n${sigLine(f, b)}`, f.log), 'CHECKPOINT_MALFORMED');
  });
});

describe('tlog step: the inclusion proof and its checkpoint', () => {
  const f = forgeLog();

  it('a forged log entry with a proof and signed checkpoint verifies', () => {
    const { entry } = entryIn(f);
    const v = verifyTlogEntry(entry, trustOf(f.log));
    assert.equal(v.log, f.log);
    assert.equal(v.integratedTime, undefined);
    assert.equal(v.reported.logIndex, 3n);
  });

  it('a fabricated proof with its own root needs the signed checkpoint to carry that root', () => {
    // The proof leads to its root hash (self-consistent), but the log signed another tree.
    const { entry } = entryIn(f);
    const other = new MerkleTree();
    for (let i = 0; i < 7; i++) other.append(leafHash(i === 3 ? entry.canonicalizedBody : randomBytes(10)));
    const forged = withProof(entry, { rootHash: other.root(), hashes: other.inclusionProof(3) });
    rejects(() => verifyTlogEntry(forged, trustOf(f.log)), 'CHECKPOINT_ROOT_MISMATCH');
  });

  it("the checkpoint's tree size must be the proof's", () => {
    // A tree of 8 whose first 7 leaves are the same: index 3 has a valid proof in both sizes.
    const { entry, tree, bodies } = entryIn(f, 7, 3);
    const big = new MerkleTree();
    for (const b of bodies) big.append(leafHash(b));
    big.append(leafHash(Buffer.from('eighth')));
    // The checkpoint signs size 7 and its root; the proof claims size 8 with the 8-leaf root.
    const b7 = body(`${f.name} - 1`, 7, big.root(8));
    const forged = withProof(entry, { treeSize: 8n, rootHash: big.root(8), hashes: big.inclusionProof(3, 8), checkpoint: note(b7, [sigLine(f, b7)]) });
    rejects(() => verifyTlogEntry(forged, trustOf(f.log)), 'CHECKPOINT_SIZE_MISMATCH');
    assert.ok(tree.root(7));
  });

  it('a proof that does not lead to its root hash, or has the wrong shape', () => {
    const { entry } = entryIn(f);
    rejects(() => verifyTlogEntry(withProof(entry, { rootHash: randomBytes(32) }), trustOf(f.log)), 'TLOG_INCLUSION_PROOF_INVALID');
    rejects(() => verifyTlogEntry(withProof(entry, { hashes: entry.inclusionProof!.hashes.slice(1) }), trustOf(f.log)), 'TLOG_INCLUSION_PROOF_INVALID');
    rejects(() => verifyTlogEntry(withProof(entry, { checkpoint: undefined }), trustOf(f.log)), 'TLOG_NO_CHECKPOINT');
  });

  it('an entry from a log that is not trusted', () => {
    const { entry } = entryIn(f);
    rejects(() => verifyTlogEntry(entry, trustOf(forgeLog().log)), 'TLOG_UNTRUSTED');
  });

  it('an entry with neither proof nor promise', () => {
    const { entry } = entryIn(f);
    rejects(() => verifyTlogEntry({ ...entry, inclusionProof: undefined }, trustOf(f.log)), 'TLOG_NO_PROOF');
  });

  it('a checkpoint of another origin signed by the same key is refused', () => {
    const { entry } = entryIn(f, 7, 3, { origin: 'rekor.elsewhere.dev - 9' });
    const b = entry.inclusionProof!.checkpoint!.split('\n\n')[0]!;
    const fixed = withProof(entry, { checkpoint: note(`${b}\n`, [sigLine(f, `${b}\n`, { name: 'rekor.elsewhere.dev' })]) });
    rejects(() => verifyTlogEntry(fixed, trustOf(f.log)), 'CHECKPOINT_ORIGIN_MISMATCH');
  });
});

describe('tlog step: sharded logs and the log index', () => {
  const f = forgeLog();

  it('without a SET, a global log index that differs from the proven one is fine; the proven one is reported', () => {
    const { entry } = entryIn(f);
    const sharded = { ...entry, logIndex: 1_340_288_188n + 3n };
    const v = verifyTlogEntry(sharded, trustOf(f.log));
    assert.equal(v.reported.logIndex, 3n);
    assert.equal(v.entry.logIndex, sharded.logIndex);
  });

  it('with a SET, the SET covers the log index: a changed index is refused', () => {
    const { entry } = entryIn(f);
    const t = BigInt(Math.floor(Date.now() / 1000) - 60);
    const signed = withSET(f, { ...entry, logIndex: 1_340_288_191n }, t);
    const v = verifyTlogEntry(signed, trustOf(f.log));
    assert.equal(v.reported.logIndex, 1_340_288_191n, 'the SET vouches for the global index');
    assert.equal(v.integratedTime?.getTime(), Number(t) * 1000);
    rejects(() => verifyTlogEntry({ ...signed, logIndex: 1_340_288_192n }, trustOf(f.log)), 'SET_INVALID');
  });
});

describe('tlog step: the integrated time', () => {
  const f = forgeLog();

  it('an integrated time in the future is refused, even with a valid SET', () => {
    const { entry } = entryIn(f);
    const now = new Date('2026-01-01T00:00:00Z');
    const ahead = BigInt(Math.floor((now.getTime() + MAX_CLOCK_SKEW_MS) / 1000) + 5);
    rejects(() => verifyTlogEntry(withSET(f, entry, ahead), trustOf(f.log), now), 'TLOG_TIME_IN_FUTURE');
    // Within the clock skew it is accepted.
    const near = BigInt(Math.floor(now.getTime() / 1000) + 30);
    assert.ok(verifyTlogEntry(withSET(f, entry, near), trustOf(f.log), now).integratedTime);
  });

  it("an integrated time outside the log key's validity window is refused", () => {
    const { entry } = entryIn(f);
    const before = BigInt(Date.parse('2019-06-01T00:00:00Z') / 1000);
    rejects(() => verifyTlogEntry(withSET(f, entry, before), trustOf(f.log)), 'TLOG_KEY_NOT_VALID');
  });
});

describe('tlog step: the checks called on their own', () => {
  const f = forgeLog();
  it('an inclusion proof check without a proof, and a SET check without a SET', () => {
    const { entry } = entryIn(f);
    rejects(() => verifyInclusionProof({ ...entry, inclusionProof: undefined }, f.log), 'TLOG_NO_INCLUSION_PROOF');
    rejects(() => verifySET(entry, f.log), 'SET_MISSING');
  });
});

describe('tlog step: SETs over indexes beyond 2^53', () => {
  const f = forgeLog();
  it('a SET over 2^53 does not verify an entry claiming 2^53 + 1, and a SET over 2^53 + 1 does', () => {
    const { entry } = entryIn(f);
    const t = BigInt(Math.floor(Date.now() / 1000) - 60);
    const base = { ...entry, inclusionProof: undefined };
    const over2p53 = withSET(f, { ...base, logIndex: 2n ** 53n }, t);
    rejects(() => verifyTlogEntry({ ...over2p53, logIndex: 2n ** 53n + 1n }, trustOf(f.log)), 'SET_INVALID');
    const real = withSET(f, { ...base, logIndex: 2n ** 53n + 1n }, t);
    assert.equal(verifyTlogEntry(real, trustOf(f.log)).reported.logIndex, 2n ** 53n + 1n);
  });
});
