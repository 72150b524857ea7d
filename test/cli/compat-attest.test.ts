/**
 * docs/compat.md, "sigstore-python: attest": every row exercised; rows that sign do so with the
 * local Sigstore instance (in-process), usage errors with the built CLI as a process.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { A_TXT, checkSection, cli, fails, HAPPY, helpLists, ok, PROD_CONFIG, signing, token, workdir } from './compat-helpers.js';
import { oidcChecks } from './compat-oidc.js';

const TYPE = 'https://example.com/predicate/v1';
const SLSA1 = 'https://slsa.dev/provenance/v1';
const SLSA02 = 'https://slsa.dev/provenance/v0.2';

/** A work directory with a.txt and pred.json (`predicate`). */
function setup(predicate = '{"x": 1}', files: Record<string, string> = {}): { w: string; a: string; pred: string } {
  const w = workdir(files);
  writeFileSync(join(w, 'pred.json'), predicate);
  return { w, a: join(w, 'a.txt'), pred: join(w, 'pred.json') };
}
const withPredicate = (pred: string, type = TYPE) => ['--predicate', pred, '--predicate-type', type];
/** The in-toto statement a DSSE bundle signs. */
function statementOf(bundle: string): Record<string, unknown> {
  const b = JSON.parse(readFileSync(bundle, 'utf8'));
  return JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8'));
}

checkSection('sigstore-python: attest', {
  ...oidcChecks('attest'),
  'attest --predicate': async () => {
    const { a, pred } = setup('{"answer": 42}');
    ok(await signing(['attest'], [...withPredicate(pred), a]), 'attest');
    assert.deepEqual(statementOf(`${a}.sigstore.json`).predicate, { answer: 42 }, 'the predicate, as given');
    fails(cli(['attest', '--predicate-type', TYPE, a]), 2, /--predicate/, 'required');
    helpLists(['attest'], '--predicate FILE');
  },
  'attest --predicate-type': async () => {
    const { a, pred } = setup('{"answer": 42}');
    ok(await signing(['attest'], [...withPredicate(pred), a]), 'attest');
    assert.equal(statementOf(`${a}.sigstore.json`).predicateType, TYPE);
    fails(cli(['attest', '--predicate', pred, a]), 2, /--predicate-type/, 'required');
    helpLists(['attest'], '--predicate-type TYPE', SLSA1);
  },
  'attest --bundle': async () => {
    const { w, a, pred } = setup('{}', { 'b.txt': A_TXT });
    const out = join(w, 'out.json');
    const r = await signing(['attest'], [...withPredicate(pred), '--bundle', out, a]);
    ok(r, '--bundle');
    assert.ok(existsSync(out) && !existsSync(`${a}.sigstore.json`));
    assert.ok(r.stdout.split('\n').includes(`Sigstore bundle written to ${out}`));
    fails(cli(['attest', ...withPredicate(pred), '--bundle', out, a, join(w, 'b.txt')]), 2, /single input/, 'one input only');
    helpLists(['attest'], '--bundle FILE');
  },
  'attest SIGSTORE_BUNDLE': async () => {
    const { w, a, pred } = setup('{}', { 'b.txt': A_TXT });
    ok(await signing(['attest'], [...withPredicate(pred), a], { SIGSTORE_BUNDLE: join(w, 'env.json') }), 'the variable');
    assert.ok(existsSync(join(w, 'env.json')));
    fails(cli(['attest', ...withPredicate(pred), a, join(w, 'b.txt')], { SIGSTORE_BUNDLE: join(w, 'x') }), 2, /single input/, 'one input only');
    helpLists(['attest'], 'SIGSTORE_BUNDLE');
  },
  'attest --overwrite': async () => {
    const { a, pred } = setup('{}', { 'a.txt.sigstore.json': HAPPY });
    ok(await signing(['attest'], [...withPredicate(pred), '--overwrite', a]), '--overwrite');
    assert.equal(statementOf(`${a}.sigstore.json`).predicateType, TYPE, 'replaced');
    helpLists(['attest'], '--overwrite');
  },
  'attest SIGSTORE_OVERWRITE': async () => {
    const { a, pred } = setup('{}', { 'a.txt.sigstore.json': HAPPY });
    ok(await signing(['attest'], [...withPredicate(pred), a], { SIGSTORE_OVERWRITE: 'true' }), 'the variable');
    assert.equal(statementOf(`${a}.sigstore.json`).predicateType, TYPE, 'replaced');
    helpLists(['attest'], 'SIGSTORE_OVERWRITE');
  },
  'attest: predicate must be a file': () => {
    const { w, a } = setup();
    fails(cli(['attest', ...withPredicate(join(w, 'missing.json')), a]), 2, /predicate/, 'missing');
    fails(cli(['attest', ...withPredicate(w), a]), 2, /predicate/, 'a directory');
  },
  'attest: predicate checked against its type': () => {
    const { a, pred } = setup('{');
    fails(cli(['attest', ...withPredicate(pred), a]), 2, /not valid JSON/, 'not JSON');
    writeFileSync(pred, '{"buildDefinition": 5}');
    fails(cli(['attest', ...withPredicate(pred, SLSA1), a]), 2, /buildDefinition/, 'not an SLSA v1 predicate');
    writeFileSync(pred, '{"builder": 5}');
    fails(cli(['attest', ...withPredicate(pred, SLSA02), a]), 2, /builder/, 'not an SLSA v0.2 predicate');
  },
  'attest: FILE must be a file': () => {
    const { w, pred } = setup();
    fails(cli(['attest', ...withPredicate(pred), join(w, 'missing.txt')]), 2, /does not exist/, 'missing');
    fails(cli(['attest', ...withPredicate(pred), w]), 2, /is a directory/, 'a directory');
  },
  'attest: default bundle': async () => {
    const { a, pred } = setup();
    ok(await signing(['attest'], [...withPredicate(pred), a]), 'attest');
    assert.equal(JSON.parse(readFileSync(`${a}.sigstore.json`, 'utf8')).dsseEnvelope.payloadType, 'application/vnd.in-toto+json');
  },
  'attest: existing outputs': () => {
    const { a, pred } = setup('{}', { 'a.txt.sigstore.json': HAPPY });
    const r = cli(['--trust-config', PROD_CONFIG, 'attest', '--identity-token', token(), ...withPredicate(pred), a]);
    fails(r, 2, new RegExp(`^sigstore: error: Refusing to overwrite outputs without --overwrite: ${a}\\.sigstore\\.json$`, 'm'), "the peer's message");
  },
  'attest: statement subject': async () => {
    const { a, pred } = setup();
    ok(await signing(['attest'], [...withPredicate(pred), a]), 'attest');
    const digest = createHash('sha256').update(readFileSync(a)).digest('hex');
    assert.deepEqual(statementOf(`${a}.sigstore.json`).subject, [{ name: 'a.txt', digest: { sha256: digest } }]);
  },
  'attest: messages': async () => {
    const { a, pred } = setup();
    const r = await signing(['attest'], [...withPredicate(pred), a]);
    ok(r, 'attest');
    assert.match(r.stdout, /^Transparency log entry created at index: \d+$/m);
    assert.ok(r.stdout.split('\n').includes(`Sigstore bundle written to ${a}.sigstore.json`));
  },
});
