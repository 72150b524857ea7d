/**
 * docs/compat.md, "sigstore-ts additions (not counted above)": the opt-in additions, each
 * exercised (signing with the local Sigstore instance, in-process; verification offline).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaLines } from '../helpers/json-schema.js';
import { A_TXT, checkSection, cli, fails, HAPPY, helpLists, ID, ok, PA, PA_DIST, signing, VERIFY, workdir } from './compat-helpers.js';

const jsonLines = schemaLines;

checkSection('sigstore-ts additions (not counted above)', {
  'ts sign --json': async () => {
    const w = workdir({ 'b.txt': A_TXT });
    const r = await signing(['sign'], ['--json', join(w, 'a.txt'), join(w, 'b.txt')]);
    ok(r, 'sign --json');
    assert.deepEqual(
      jsonLines(r.stdout).map((o) => [o.type, o.input, o.bundle]),
      ['a.txt', 'b.txt'].map((f) => ['signing', join(w, f), `${join(w, f)}.sigstore.json`]),
    );
    writeFileSync(join(w, 'pred.json'), '{"x": 1}');
    const at = await signing(['attest'], ['--json', '--overwrite', '--predicate', join(w, 'pred.json'), '--predicate-type', 'https://example.com/t', join(w, 'a.txt')]);
    ok(at, 'attest --json');
    assert.equal(jsonLines(at.stdout)[0]!.payloadType, 'application/vnd.in-toto+json');
    helpLists(['sign'], '--json');
    helpLists(['attest'], '--json');
  },
  'ts sign -q': async () => {
    const r = await signing(['sign'], ['-q', join(workdir(), 'a.txt')]);
    ok(r, '-q');
    assert.equal(r.stdout, '');
    helpLists(['sign'], '-q, --quiet');
  },
  'ts sign --json with --no-default-files': () => {
    fails(cli(['sign', '--json', '--no-default-files', join(workdir(), 'a.txt')]), 2, /--json with --no-default-files/, 'refused');
  },
  'ts verify --json': () => {
    const r = cli([...VERIFY, ...ID, '--json', '--bundle', HAPPY, A_TXT]);
    ok(r, '--json');
    assert.equal(jsonLines(r.stdout)[0]!.schemaVersion, 1);
  },
  'ts verify -q': () => {
    const r = cli([...VERIFY, ...ID, '-q', '--bundle', HAPPY, A_TXT]);
    ok(r, '-q');
    assert.doesNotMatch(r.stderr, /signer:/);
  },
  'ts verify --any-cert-identity': () => {
    const rest = ['--cert-oidc-issuer', ID[3]!, '--bundle', HAPPY, A_TXT];
    ok(cli([...VERIFY, '--any-cert-identity', 'x@example.com', '--any-cert-identity', ID[1]!, ...rest]), 'any of');
    fails(cli([...VERIFY, '--any-cert-identity', 'x@example.com', ...rest]), 1, /^FAIL: /m, 'still checked');
  },
  'ts pa verify --any-identity': () => {
    const args = ['attestation', 'verify', '--offline'];
    ok(cli([...args, '--any-identity', 'x@example.com', '--any-identity', PA.identity, PA_DIST]), 'any of');
    fails(cli([...args, '--any-identity', 'x@example.com', PA_DIST]), 1, /FAIL: .*\[policy\]/, 'still checked');
  },
  'ts attest --statement': async () => {
    const w = workdir();
    const digest = createHash('sha256').update(readFileSync(join(w, 'a.txt'))).digest('hex');
    const statement = { _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'a.txt', digest: { sha256: digest } }], predicateType: 'https://example.com/t', predicate: { y: 2 } };
    writeFileSync(join(w, 'st.json'), JSON.stringify(statement));
    ok(await signing(['attest'], ['--statement', join(w, 'st.json'), join(w, 'a.txt')]), '--statement');
    const b = JSON.parse(readFileSync(join(w, 'a.txt.sigstore.json'), 'utf8'));
    assert.deepEqual(JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString()), statement, 'signed as given');
    helpLists(['attest'], '--statement FILE');
  },
});
