/**
 * The machine interface: `verify --json`, `inspect --json` (and the `sign --json` formatter)
 * print JSON Lines that follow schemas/output.v1.schema.json, with the same field names and
 * meanings in every command; `| head -1` ends quietly with the command's own exit code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseBundle } from '../../src/bundle/parse.js';
import { SCHEMA_ID, signFailureToJson, signResultToJson } from '../../src/cli/json-output.js';
import { UsageError } from '../../src/errors.js';
import { hasStackTrace, ROOT, runCli, SIGSTORE } from '../helpers/cli.js';
import { CONFORMANCE_DIR, DEFAULT_IDENTITY, DEFAULT_ISSUER } from '../helpers/conformance.js';
import { OUTPUT_SCHEMA, schemaLines, validate } from '../helpers/json-schema.js';

const SCHEMA = OUTPUT_SCHEMA;
const A_TXT = join(CONFORMANCE_DIR, 'a.txt');
const bundleOf = (name: string) => join(CONFORMANCE_DIR, name, 'bundle.sigstore.json');
const PYPI = join(ROOT, 'test', 'fixtures', 'pypi');

const ID = ['verify', 'identity', '--offline', '--cert-identity', DEFAULT_IDENTITY, '--cert-oidc-issuer', DEFAULT_ISSUER];

const lines = schemaLines;

describe('--json: one schema, JSON Lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigstore-ts-json-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the schema is in the package, with its $id, and the validator refuses what it does not implement', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    assert.ok(pkg.files.includes('schemas'));
    assert.equal(SCHEMA.$id, SCHEMA_ID);
    assert.match(validate({}, { minimum: 1 })[0]!, /does not implement/);
    assert.ok(validate({ schemaVersion: 1, type: 'verification' }, SCHEMA).length > 0, 'an incomplete object is refused');
  });

  it('verify --json: one object per input per line, successes and failures, in input order', () => {
    const files = ['x.txt', 'y.txt', 'z.txt'].map((n) => join(dir, n));
    copyFileSync(A_TXT, files[0]!);
    copyFileSync(bundleOf('happy-path-v0.3'), `${files[0]}.sigstore.json`);
    copyFileSync(A_TXT, files[1]!);
    copyFileSync(bundleOf('happy-path-intoto-in-dsse-v3'), `${files[1]}.sigstore.json`);
    copyFileSync(A_TXT, files[2]!);
    copyFileSync(bundleOf('bundle-from-wrong-instance_fail'), `${files[2]}.sigstore.json`);
    const r = runCli([...ID, '--json', ...files]);
    assert.equal(r.code, 1, r.stderr);
    const out = lines(r.stdout);
    assert.deepEqual(
      out.map((o) => [o.type, o.input, o.verified]),
      files.map((f, i) => ['verification', f, i < 2]),
    );
    const ok = out[0]!;
    assert.equal(ok.bundle, `${files[0]}.sigstore.json`);
    assert.equal(ok.signer.identity, DEFAULT_IDENTITY);
    assert.equal(ok.signer.oidcIssuer, DEFAULT_ISSUER, 'signer.oidcIssuer is the OIDC issuer');
    assert.match(ok.signer.certificate.issuer, /O=sigstore\.dev, CN=sigstore-intermediate/, 'certificate.issuer is the CA');
    assert.equal(ok.signer.fulcioExtensions.issuer, DEFAULT_ISSUER);
    assert.equal(out[1]!.statement._type, 'https://in-toto.io/Statement/v1');
    assert.match(out[2]!.error.code, /_UNTRUSTED$/);
    assert.equal(typeof out[2]!.error.step, 'string');
  });

  it('a managed-key verification has signer.kind publicKey', () => {
    const d = join(CONFORMANCE_DIR, 'managed-key-and-trusted-root');
    const r = runCli(['verify', 'identity', '--offline', '--key', join(d, 'key.pub'), '--trusted-root', join(d, 'trusted_root.json'), '--json', '--bundle', join(d, 'bundle.sigstore.json'), A_TXT]);
    assert.equal(r.code, 0, r.stderr);
    const o = lines(r.stdout)[0]!;
    assert.equal(o.signer.kind, 'publicKey');
    assert.match(o.signer.keyId, /^[0-9a-f]{64}$/);
  });

  it('inspect --json: bundles, attestations, provenance and failures, with the same signer fields as verify', () => {
    const att = join(PYPI, 'rfc8785-0.1.2-py3-none-any.whl.publish.attestation');
    const prov = join(PYPI, 'pypi_attestations-0.0.19.tar.gz.provenance');
    const bad = join(PYPI, 'rfc8785-0.1.2-py3-none-any.whl');
    const happy = bundleOf('happy-path-v0.3');
    for (const cmd of [['inspect'], ['attestation', 'inspect']]) {
      const r = runCli([...cmd, '--json', happy, att, prov, bad]);
      assert.equal(r.code, 1, r.stderr);
      const out = lines(r.stdout);
      assert.deepEqual(
        out.map((o) => [o.type, o.input, o.format]),
        [
          ['inspection', happy, 'bundle'],
          ['inspection', att, 'attestation'],
          ['inspection', prov, 'provenance'],
          ['inspection', bad, undefined],
        ],
      );
      assert.ok(out.every((o) => o.verified === false));
      assert.equal(out[3]!.error.code, 'DOCUMENT_INVALID');
      const verified = lines(runCli([...ID, '--json', '--bundle', happy, A_TXT]).stdout)[0]!;
      for (const k of ['identity', 'oidcIssuer', 'fulcioExtensions']) assert.deepEqual(out[0]!.signer[k], verified.signer[k], k);
      for (const k of ['serial', 'issuer', 'subject', 'notBefore', 'notAfter', 'sha256']) assert.equal(out[0]!.signer.certificate[k], verified.signer.certificate[k], k);
      assert.deepEqual(out[0]!.tlogEntries[0].integratedTime, verified.tlogEntries[0].integratedTime);
    }
  });

  it('inspect --dump-bytes prints the raw signature and statement (text and JSON)', () => {
    const dsse = bundleOf('happy-path-intoto-in-dsse-v3');
    const bundle = JSON.parse(readFileSync(dsse, 'utf8'));
    const text = runCli(['inspect', '--dump-bytes', dsse]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Raw signed bytes \(NOT VERIFIED\)/);
    assert.ok(text.stdout.includes(`signature (base64): ${bundle.dsseEnvelope.signatures[0].sig}`));
    assert.ok(text.stdout.includes(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')));
    const j = lines(runCli(['attestation', 'inspect', '--json', '--dump-bytes', dsse, bundleOf('happy-path-v0.3')]).stdout);
    assert.equal(j[0]!.rawBytes[0].payload, bundle.dsseEnvelope.payload);
    assert.match(j[1]!.rawBytes[0].digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(runCli(['inspect', '--json', dsse]).stdout.includes('rawBytes'), false, 'only with --dump-bytes');
  });

  it('sign --json: signResultToJson and signFailureToJson follow the schema', () => {
    for (const name of ['happy-path-v0.3', 'happy-path-intoto-in-dsse-v3', 'rekor2-happy-path', 'happy-path-v0.1']) {
      const o = signResultToJson('a.txt', 'a.txt.sigstore.json', parseBundle(readFileSync(bundleOf(name))));
      assert.deepEqual(validate(o, SCHEMA), [], name);
      assert.equal(o.type, 'signing');
    }
    assert.deepEqual(validate(signFailureToJson('a.txt', new UsageError('USAGE', 'nope')), SCHEMA), []);
  });

  it('on a terminal: the status line goes to stderr, the JSON lines stay whole', { skip: existsSync('/usr/bin/script') ? false : '/usr/bin/script (util-linux) is missing' }, () => {
    const files = ['t1.txt', 't2.txt', 't3.txt'].map((n, i) => {
      const f = join(dir, n);
      copyFileSync(A_TXT, f);
      copyFileSync(bundleOf(i === 2 ? 'bundle-from-wrong-instance_fail' : 'happy-path-v0.3'), `${f}.sigstore.json`);
      return f;
    });
    const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
    const out = join(dir, 'results.jsonl');
    const cmd = [process.execPath, SIGSTORE, ...ID, '--json', ...files].map(quote).join(' ');
    const term = (c: string) => spawnSync('/usr/bin/script', ['-qec', c, '/dev/null'], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm' } });
    // stdout redirected to a file, stderr on the terminal: the file holds only the JSON Lines.
    const redirected = term(`${cmd} > ${quote(out)}`);
    assert.equal(redirected.status, 1);
    assert.match(redirected.stdout, /\r\x1b\[K\[\d\/3\] verifying /, 'the status line is on the terminal');
    const text = readFileSync(out, 'utf8');
    assert.doesNotMatch(text, /\x1b|\r/);
    assert.deepEqual(lines(text).map((o) => o.verified), [true, true, false]);
    // Both on the terminal: every JSON line starts a line of its own and parses.
    const both = term(cmd);
    const json = both.stdout.split(/\r?\n/).filter((l) => l.includes('"schemaVersion"'));
    assert.equal(json.length, 3, both.stdout);
    for (const l of json) assert.doesNotThrow(() => JSON.parse(l), l);
  });

  it('| head -1: the first line, then a quiet end with the command’s own exit code', () => {
    const happy = bundleOf('happy-path-v0.3');
    const digest = `sha256:${spawnSync('sha256sum', [A_TXT], { encoding: 'utf8' }).stdout.split(' ')[0]}`;
    const run = (extra: string[]) => {
      const args = [SIGSTORE, ...ID, '--json', ...extra].map((a) => `'${a}'`).join(' ');
      return spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" ${args} | head -1`], { encoding: 'utf8' });
    };
    const ok = run(['--bundle', happy, digest]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(lines(ok.stdout).length, 1);
    // Many inputs, one failing: every line after the first meets a closed pipe.
    const files = Array.from({ length: 60 }, (_, i) => {
      const f = join(dir, `m${i}.txt`);
      copyFileSync(A_TXT, f);
      copyFileSync(i === 59 ? bundleOf('bundle-from-wrong-instance_fail') : happy, `${f}.sigstore.json`);
      return f;
    });
    const many = run(files);
    assert.equal(many.status, 1, 'the failure still decides the exit code');
    assert.equal(lines(many.stdout).length, 1);
    assert.ok(!/EPIPE|unexpected/i.test(many.stderr) && !hasStackTrace(many.stderr), many.stderr.slice(-500));
    assert.match(many.stderr, /59 verified, 1 failed/);
  });
  it('attestation verify and verify-provenance --json | head -1: one schema line, then a quiet end with the exit code', () => {
    const dist = 'pypi_attestations-0.0.19.tar.gz';
    const identity = 'https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19';
    // 20 copies (same name, own directories), each with its publish and SLSA attestation: 40 lines.
    const dists = Array.from({ length: 20 }, (_, i) => {
      const d = join(dir, `dist${i}`);
      mkdirSync(d);
      for (const suffix of ['', '.publish.attestation', '.slsa.attestation']) copyFileSync(join(PYPI, `${dist}${suffix}`), join(d, `${dist}${suffix}`));
      return join(d, dist);
    });
    const piped = (args: string[]) => {
      const cmd = [process.execPath, SIGSTORE, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
      return spawnSync('bash', ['-c', `set -o pipefail; ${cmd} | head -1`], { encoding: 'utf8' });
    };
    const many = piped(['attestation', 'verify', '--offline', '--json', '--identity', identity, ...dists]);
    assert.equal(many.status, 0, many.stderr.slice(-500));
    const [first] = lines(many.stdout);
    assert.deepEqual([first!.type, first!.input, first!.verified, first!.attestation], ['verification', dists[0], true, `${dists[0]}.publish.attestation`]);
    assert.ok(!/EPIPE|unexpected/i.test(many.stderr) && !hasStackTrace(many.stderr), many.stderr.slice(-500));
    assert.match(many.stderr, /40 verified, 0 failed/);
    const prov = ['attestation', 'verify-provenance', '--offline', '--json', '--provenance-file', join(PYPI, `${dist}.provenance`)];
    const ok = piped([...prov, '--repository', 'https://github.com/trailofbits/pypi-attestations', dists[0]!]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(lines(ok.stdout)[0]!.publisher.kind, 'GitHub');
    const bad = piped([...prov, '--repository', 'https://github.com/trailofbits/other', dists[0]!]);
    assert.equal(bad.status, 1, 'a failure keeps its exit code through the pipe');
    assert.equal(lines(bad.stdout)[0]!.error.code, 'POLICY_PUBLISHER_MISMATCH');
    assert.ok(!hasStackTrace(bad.stderr), bad.stderr);
  });
});
