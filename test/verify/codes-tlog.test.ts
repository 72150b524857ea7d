/**
 * Crafted inputs for the `tlog` step, each correctly signed by a forged PKI (its own Rekor key,
 * CA, CT log and TSA, with the matching trusted root) so that it reaches exactly the check under
 * test: log trust, inclusion proof, checkpoint (C2SP signed note), SET, integrated time.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseBundle } from '../../src/bundle/parse.js';
import { signNote } from '../../src/instance/note.js';
import { verifySET } from '../../src/verify/tlog/set.js';
import { verifyInclusionProof, verifyTlogEntry } from '../../src/verify/tlog/index.js';
import { ForgedPki, type Json, REKOR_ORIGIN } from '../helpers/forge.js';
import { rejectsAt } from '../helpers/tamper.js';
import { refusedAt, verifyForged } from '../helpers/verify.js';


const pki = new ForgedPki();
const trust = pki.trust();
const entryOf = (b: Json): Json => b.verificationMaterial.tlogEntries[0];
const otherKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const hint = pki.rekorLogId.subarray(0, 4);
const NAME = REKOR_ORIGIN.split(' - ')[0]!;

describe('forged PKI: the untampered bundles verify', () => {
  for (const o of [{}, { kind: 'dsse' as const }, { tsa: true }, { tsa: true, set: false }]) {
    it(JSON.stringify(o), async () => {
      await verifyForged(trust, pki.bundle(o));
    });
  }
});

describe('tlog: log trust and proofs', () => {
  it('TLOG_UNTRUSTED: the entry names a log the trusted root does not list', async () => {
    const t = pki.trust((r) => {
      r.tlogs[0]!.logId = { keyId: Buffer.alloc(32, 7).toString('base64') };
    });
    await refusedAt(verifyForged(t, pki.bundle()), 'tlog', 'TLOG_UNTRUSTED');
  });

  it('TLOG_NO_PROOF: an entry with neither an inclusion proof nor a SET (a parsed bundle built by hand)', () => {
    const e = parseBundle(pki.bundle().json).tlogEntries[0]!;
    rejectsAt('tlog', () => verifyTlogEntry({ ...e, inclusionProof: undefined, signedEntryTimestamp: undefined }, trust), 'TLOG_NO_PROOF');
  });

  it('TLOG_NO_INCLUSION_PROOF: verifyInclusionProof on an entry without one', () => {
    const e = parseBundle(pki.bundle().json).tlogEntries[0]!;
    rejectsAt('tlog', () => verifyInclusionProof({ ...e, inclusionProof: undefined }, trust.tlogs[0]!), 'TLOG_NO_INCLUSION_PROOF');
  });

  it('TLOG_INCLUSION_PROOF_INVALID: a proof hash changed', async () => {
    const b = pki.bundle({ json: (j) => {
      const h = Buffer.from(entryOf(j).inclusionProof.hashes[0], 'base64');
      h[0]! ^= 1;
      entryOf(j).inclusionProof.hashes[0] = h.toString('base64');
    } });
    await refusedAt(verifyForged(trust, b), 'tlog', 'TLOG_INCLUSION_PROOF_INVALID', /does not lead to its root hash/);
  });

  it('TLOG_INCLUSION_PROOF_INVALID: a proof of the wrong shape (a hash missing)', async () => {
    const b = pki.bundle({ json: (j) => entryOf(j).inclusionProof.hashes.pop() });
    await refusedAt(verifyForged(trust, b), 'tlog', 'TLOG_INCLUSION_PROOF_INVALID', /wrong shape/);
  });

  it('TLOG_INCLUSION_PROOF_INVALID: an index outside the tree', async () => {
    const b = pki.bundle({ json: (j) => { entryOf(j).inclusionProof.logIndex = '5'; } });
    await refusedAt(verifyForged(trust, b), 'tlog', 'TLOG_INCLUSION_PROOF_INVALID', /wrong shape/);
  });

  it('TLOG_NO_CHECKPOINT: a v0.1 bundle whose inclusion proof has no checkpoint', async () => {
    const b = pki.bundle({ checkpoint: false, json: (j) => {
      j.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
      const vm = j.verificationMaterial;
      vm.x509CertificateChain = { certificates: [vm.certificate] };
      delete vm.certificate;
    } });
    await refusedAt(verifyForged(trust, b), 'tlog', 'TLOG_NO_CHECKPOINT');
  });

  it("CHECKPOINT_ROOT_MISMATCH: a signed checkpoint whose root is not the proof's (a fabricated proof)", async () => {
    const b = pki.bundle({ checkpointBody: (body) => {
      const lines = body.split('\n');
      lines[2] = Buffer.alloc(32, 9).toString('base64');
      return lines.join('\n');
    } });
    await refusedAt(verifyForged(trust, b), 'tlog', 'CHECKPOINT_ROOT_MISMATCH');
  });

  it("CHECKPOINT_SIZE_MISMATCH: a signed checkpoint whose tree size is not the proof's", async () => {
    const b = pki.bundle({ checkpointBody: (body) => body.replace(/\n5\n/, '\n6\n') });
    await refusedAt(verifyForged(trust, b), 'tlog', 'CHECKPOINT_SIZE_MISMATCH', /checkpoint tree size 6/);
  });

  it("without a SET, the entry's outer index is not authenticated: not compared, the proven one is reported", async () => {
    const b = pki.bundle({ set: false, tsa: true, logIndex: 8, treeSize: 5 });
    const r = (await verifyForged(trust, b)) as { tlogEntries: { logIndex: bigint }[] };
    assert.notEqual(r.tlogEntries[0]!.logIndex, 8n);
  });
});

describe('tlog: checkpoints (signed notes)', () => {
  const cases: [string, string, (note: string) => string, RegExp?][] = [
    ['CHECKPOINT_MALFORMED', 'no blank line before the signatures', (n) => n.replace('\n\n', '\n'), /not a signed note/],
    ['CHECKPOINT_UNSIGNED', 'no signature lines', (n) => n.slice(0, n.indexOf('\n\n') + 2)],
    ['CHECKPOINT_MALFORMED', 'signatures not ending with a newline', (n) => n.slice(0, -1), /do not end with a newline/],
    ['CHECKPOINT_MALFORMED', 'a malformed signature line', (n) => n.replace('\u2014 ', '- '), /malformed checkpoint signature line/],
    ['CHECKPOINT_MALFORMED', 'a signature of four bytes', (n) => n.replace(/ [A-Za-z0-9+/=]+\n$/, ` ${hint.toString('base64')}\n`), /too short/],
    ['CHECKPOINT_UNSIGNED', 'an empty line where the signatures go (the note splits at its last blank line, as Go does)', (n) => `${n.slice(0, n.indexOf('\n\n') + 2)}\n`],
  ];
  for (const [code, what, change, message] of cases) {
    it(`${code}: ${what}`, async () => {
      await refusedAt(verifyForged(trust, pki.bundle({ note: change })), 'tlog', code, message);
    });
  }

  it('CHECKPOINT_MALFORMED: a non-canonical base64 signature (padding bits set)', async () => {
    // An ECDSA signature line: hint (4) + DER signature; find one whose base64 has padding.
    for (let i = 0; i < 20; i++) {
      const b = pki.bundle({ note: (n) => {
        const m = /([A-Za-z0-9+/])(=+)\n$/.exec(n);
        if (!m) return n;
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
        const c = alphabet[alphabet.indexOf(m[1]!) ^ 1]!;
        return n.slice(0, m.index) + c + m[2] + '\n';
      } });
      const note = entryOf(b.json).inclusionProof.checkpoint.envelope as string;
      if (!/=\n$/.test(note)) continue;
      await refusedAt(verifyForged(trust, b), 'tlog', 'CHECKPOINT_MALFORMED', /canonical base64/);
      return;
    }
    assert.fail('no signature with base64 padding in 20 tries');
  });

  const bodies: [string, (body: string) => string, RegExp][] = [
    ['fewer than three lines', (b) => b.split('\n').slice(0, 2).join('\n') + '\n', /needs an origin/],
    ['an empty origin', (b) => b.replace(/^[^\n]*/, ''), /empty origin/],
    ['a tree size with a leading zero', (b) => b.replace(/\n5\n/, '\n05\n'), /is not a 64-bit number/],
    ['a root hash that is not base64 SHA-256', (b) => b.replace(/\n([A-Za-z0-9+/]{43}=)\n/, '\nAAAA\n'), /root hash/],
  ];
  for (const [what, change, message] of bodies) {
    it(`CHECKPOINT_MALFORMED: a signed checkpoint body with ${what}`, async () => {
      await refusedAt(verifyForged(trust, pki.bundle({ checkpointBody: change })), 'tlog', 'CHECKPOINT_MALFORMED', message);
    });
  }

  it("CHECKPOINT_NO_LOG_SIGNATURE: the only signature carries another key's hint", async () => {
    const b = pki.bundle({ note: (n) => signNote(n.slice(0, n.indexOf('\n\n') + 1), { name: NAME, hint: Buffer.from([1, 2, 3, 4]), key: pki.rekorKey }) });
    await refusedAt(verifyForged(trust, b), 'tlog', 'CHECKPOINT_NO_LOG_SIGNATURE');
  });

  it("CHECKPOINT_SIGNATURE_INVALID: the log's hint on another key's signature", async () => {
    const b = pki.bundle({ note: (n) => signNote(n.slice(0, n.indexOf('\n\n') + 1), { name: NAME, hint, key: otherKey() }) });
    await refusedAt(verifyForged(trust, b), 'tlog', 'CHECKPOINT_SIGNATURE_INVALID');
  });

  it("CHECKPOINT_NO_LOG_SIGNATURE: the log's signature under another key name (a line of an unknown key is ignored, as Go's note does)", async () => {
    const b = pki.bundle({ note: (n) => signNote(n.slice(0, n.indexOf('\n\n') + 1), { name: 'other.example', hint, key: pki.rekorKey }) });
    await refusedAt(verifyForged(trust, b), 'tlog', 'CHECKPOINT_NO_LOG_SIGNATURE');
  });
});

describe('tlog: SET and integrated time', () => {
  it('SET_INVALID: the integrated time moved by one second', async () => {
    const b = pki.bundle({ json: (j) => { entryOf(j).integratedTime = String(Number(entryOf(j).integratedTime) - 1); } });
    await refusedAt(verifyForged(trust, b), 'tlog', 'SET_INVALID');
  });

  it('SET_INVALID: the log index moved by one', async () => {
    const b = pki.bundle({ json: (j) => { entryOf(j).logIndex = '4'; } });
    await refusedAt(verifyForged(trust, b), 'tlog', 'SET_INVALID');
  });

  it('SET_INVALID: signed by another key', async () => {
    const b = pki.bundle({ json: (j) => {
      entryOf(j).inclusionPromise.signedEntryTimestamp = nodeSign('sha256', Buffer.from('x'), otherKey()).toString('base64');
    } });
    await refusedAt(verifyForged(trust, b), 'tlog', 'SET_INVALID');
  });

  it('SET_MISSING: verifySET on an entry without one', () => {
    const e = parseBundle(pki.bundle().json).tlogEntries[0]!;
    rejectsAt('tlog', () => verifySET({ ...e, signedEntryTimestamp: undefined }, trust.tlogs[0]!), 'SET_MISSING');
  });

  it('TLOG_TIME_IN_FUTURE: a correctly signed integrated time an hour ahead', async () => {
    const b = pki.bundle({ integratedTime: new Date(Date.now() + 3_600_000) });
    await refusedAt(verifyForged(trust, b), 'tlog', 'TLOG_TIME_IN_FUTURE');
  });

  it('TLOG_TIME_IN_FUTURE: two minutes ahead of the verifier clock (beyond the one-minute skew)', async () => {
    const b = pki.bundle();
    const it = Number(entryOf(b.json).integratedTime) * 1000;
    await refusedAt(verifyForged(trust, b, { now: new Date(it - 120_000) }), 'tlog', 'TLOG_TIME_IN_FUTURE');
  });

  it('an integrated time within the clock skew is accepted', async () => {
    const b = pki.bundle();
    const it = Number(entryOf(b.json).integratedTime) * 1000;
    await verifyForged(trust, b, { now: new Date(it - 30_000) });
  });

  it("TLOG_KEY_NOT_VALID: the integrated time is before the log key's validity", async () => {
    const t = pki.trust((r) => {
      r.tlogs[0]!.publicKey.validFor = { start: new Date(pki.now.getTime() - 30_000).toISOString() };
    });
    await refusedAt(verifyForged(t, pki.bundle()), 'tlog', 'TLOG_KEY_NOT_VALID', /integrated time/);
  });

  it("TLOG_KEY_NOT_VALID: the integrated time is after the log key's validity", async () => {
    const t = pki.trust((r) => {
      r.tlogs[0]!.publicKey.validFor = { start: pki.start.toISOString(), end: new Date(pki.now.getTime() - 90_000).toISOString() };
    });
    await refusedAt(verifyForged(t, pki.bundle()), 'tlog', 'TLOG_KEY_NOT_VALID', /integrated time/);
  });

  it("TLOG_KEY_NOT_VALID: without a SET, the TSA's time is outside the log key's validity", async () => {
    const t = pki.trust((r) => {
      r.tlogs[0]!.publicKey.validFor = { start: pki.start.toISOString(), end: new Date(pki.now.getTime() - 90_000).toISOString() };
    });
    await refusedAt(verifyForged(t, pki.bundle({ set: false, tsa: true, json: (j) => delete entryOf(j).integratedTime })), 'tlog', 'TLOG_KEY_NOT_VALID', /at the timestamp/);
  });
});
