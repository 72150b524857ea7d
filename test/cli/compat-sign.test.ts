/**
 * docs/compat.md, "sigstore-python: sign": every row exercised; rows that sign do so with the
 * local Sigstore instance (in-process), usage errors with the built CLI as a process.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { A_TXT, checkSection, cli, fails, HAPPY, helpLists, ok, PROD_CONFIG, signing, token, workdir } from './compat-helpers.js';
import { oidcChecks } from './compat-oidc.js';

const bundleJson = (f: string) => JSON.parse(readFileSync(f, 'utf8'));
const sigOf = (f: string) => bundleJson(f).messageSignature.signature as string;
const certOf = (f: string) => bundleJson(f).verificationMaterial.certificate.rawBytes as string;
const lines = (s: string) => s.split('\n');

checkSection('sigstore-python: sign', {
  ...oidcChecks('sign'),
  'sign --bundle': async () => {
    const w = workdir({ 'b.txt': A_TXT });
    const out = join(w, 'out.json');
    const r = await signing(['sign'], ['--bundle', out, join(w, 'a.txt')]);
    ok(r, '--bundle');
    assert.ok(lines(r.stdout).includes(`Sigstore bundle written to ${out}`));
    assert.equal(existsSync(join(w, 'a.txt.sigstore.json')), false, 'instead of the default');
    fails(cli(['sign', '--bundle', out, join(w, 'a.txt'), join(w, 'b.txt')]), 2, /single input/, 'one input only');
    helpLists(['sign'], '--bundle FILE');
  },
  'sign SIGSTORE_BUNDLE': async () => {
    const w = workdir({ 'b.txt': A_TXT });
    ok(await signing(['sign'], ['--bundle', join(w, 'flag.json'), join(w, 'a.txt')], { SIGSTORE_BUNDLE: join(w, 'env.json') }), 'the flag wins');
    assert.ok(existsSync(join(w, 'flag.json')) && !existsSync(join(w, 'env.json')));
    ok(await signing(['sign'], [join(w, 'b.txt')], { SIGSTORE_BUNDLE: join(w, 'env.json') }), 'the variable');
    assert.ok(existsSync(join(w, 'env.json')));
    helpLists(['sign'], 'SIGSTORE_BUNDLE');
  },
  'sign --signature': async () => {
    const w = workdir();
    const a = join(w, 'a.txt');
    ok(await signing(['sign'], ['--output-signature', join(w, 'a.sig'), '--output-certificate', join(w, 'a.crt'), a]), '--output-signature');
    assert.equal(readFileSync(join(w, 'a.sig'), 'utf8').trim(), sigOf(`${a}.sigstore.json`), 'the bundle signature, base64');
    fails(cli(['sign', '--signature', join(w, 's'), a]), 2, /--signature and --certificate must be used together/, 'alone');
    helpLists(['sign'], '--signature FILE, --output-signature FILE');
  },
  'sign SIGSTORE_OUTPUT_SIGNATURE': async () => {
    const w = workdir();
    const a = join(w, 'a.txt');
    ok(await signing(['sign'], [a], { SIGSTORE_OUTPUT_SIGNATURE: join(w, 'a.sig'), SIGSTORE_OUTPUT_CERTIFICATE: join(w, 'a.crt') }), 'the variables');
    assert.ok(existsSync(join(w, 'a.sig')));
    fails(cli(['sign', a], { SIGSTORE_OUTPUT_SIGNATURE: join(w, 's') }), 2, /must be used together/, 'alone');
    helpLists(['sign'], 'SIGSTORE_OUTPUT_SIGNATURE');
  },
  'sign --certificate': async () => {
    const w = workdir();
    const a = join(w, 'a.txt');
    ok(await signing(['sign'], ['--signature', join(w, 'a.sig'), '--certificate', join(w, 'a.crt'), a]), '--certificate');
    const pem = readFileSync(join(w, 'a.crt'), 'utf8');
    assert.match(pem, /^-----BEGIN CERTIFICATE-----\n/);
    assert.equal(pem.replace(/-----[A-Z ]+-----|\s/g, ''), certOf(`${a}.sigstore.json`), "the bundle's certificate");
    fails(cli(['sign', '--output-certificate', join(w, 'c'), a]), 2, /must be used together/, '--output-certificate alone');
    helpLists(['sign'], '--certificate FILE, --output-certificate FILE');
  },
  'sign SIGSTORE_OUTPUT_CERTIFICATE': async () => {
    const w = workdir();
    const a = join(w, 'a.txt');
    ok(await signing(['sign'], ['--signature', join(w, 'a.sig'), a], { SIGSTORE_OUTPUT_CERTIFICATE: join(w, 'a.crt') }), 'the variable');
    assert.match(readFileSync(join(w, 'a.crt'), 'utf8'), /^-----BEGIN CERTIFICATE-----\n/);
    fails(cli(['sign', a], { SIGSTORE_OUTPUT_CERTIFICATE: join(w, 'c') }), 2, /must be used together/, 'alone');
    helpLists(['sign'], 'SIGSTORE_OUTPUT_CERTIFICATE');
  },
  'sign --output-directory': async () => {
    const w = workdir({ 'b.txt': A_TXT });
    const out = join(w, 'out');
    ok(await signing(['sign'], ['--output-directory', out, join(w, 'a.txt'), join(w, 'b.txt')]), '--output-directory');
    assert.deepEqual(readdirSync(out).sort(), ['a.txt.sigstore.json', 'b.txt.sigstore.json']);
    helpLists(['sign'], '--output-directory DIR');
  },
  'sign SIGSTORE_OUTPUT_DIRECTORY': async () => {
    const w = workdir();
    ok(await signing(['sign'], [join(w, 'a.txt')], { SIGSTORE_OUTPUT_DIRECTORY: join(w, 'env') }), 'the variable');
    assert.ok(existsSync(join(w, 'env', 'a.txt.sigstore.json')));
    helpLists(['sign'], 'SIGSTORE_OUTPUT_DIRECTORY');
  },
  'sign --no-default-files': async () => {
    const w = workdir();
    const a = join(w, 'a.txt');
    const r = await signing(['sign'], ['--no-default-files', a]);
    ok(r, '--no-default-files');
    assert.equal(existsSync(`${a}.sigstore.json`), false);
    assert.match(r.stdout, /^[A-Za-z0-9+/]{40,}=*$/m, 'the signature on stdout');
    helpLists(['sign'], '--no-default-files');
  },
  'sign SIGSTORE_NO_DEFAULT_FILES': async () => {
    const w = workdir();
    const a = join(w, 'a.txt');
    ok(await signing(['sign'], [a], { SIGSTORE_NO_DEFAULT_FILES: 'yes' }), 'the variable');
    assert.equal(existsSync(`${a}.sigstore.json`), false);
    fails(cli(['sign', a], { SIGSTORE_NO_DEFAULT_FILES: 'maybe' }), 2, /SIGSTORE_NO_DEFAULT_FILES/, 'invalid');
    helpLists(['sign'], 'SIGSTORE_NO_DEFAULT_FILES');
  },
  'sign --overwrite': async () => {
    const w = workdir({ 'a.txt.sigstore.json': HAPPY });
    ok(await signing(['sign'], ['--overwrite', join(w, 'a.txt')]), '--overwrite');
    assert.notEqual(readFileSync(join(w, 'a.txt.sigstore.json'), 'utf8'), readFileSync(HAPPY, 'utf8'), 'replaced');
    helpLists(['sign'], '--overwrite');
  },
  'sign SIGSTORE_OVERWRITE': async () => {
    const w = workdir({ 'a.txt.sigstore.json': HAPPY });
    ok(await signing(['sign'], [join(w, 'a.txt')], { SIGSTORE_OVERWRITE: '1' }), 'the variable');
    assert.notEqual(readFileSync(join(w, 'a.txt.sigstore.json'), 'utf8'), readFileSync(HAPPY, 'utf8'), 'replaced');
    helpLists(['sign'], 'SIGSTORE_OVERWRITE');
  },
  'sign: FILE must be a file': () => {
    const w = workdir();
    fails(cli(['sign', join(w, 'missing.txt')]), 2, /does not exist/, 'missing');
    fails(cli(['sign', w]), 2, /is a directory/, 'a directory');
  },
  'sign: default bundle': async () => {
    const w = workdir();
    ok(await signing(['sign'], [join(w, 'a.txt')]), 'sign');
    assert.equal(bundleJson(join(w, 'a.txt.sigstore.json')).mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
  },
  'sign: token precedence': async () => {
    // Broken ambient credentials are never asked when a token is given (flag or variable).
    const ambient = { GITHUB_ACTIONS: 'true', ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/token', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x' };
    ok(await signing(['sign'], [join(workdir(), 'a.txt')], ambient), 'the flag before ambient');
    ok(await signing(['sign'], [join(workdir(), 'a.txt')], ambient, true), 'the variable before ambient');
    fails(cli(['--trust-config', PROD_CONFIG, 'sign', join(workdir(), 'a.txt')], { ...ambient, SIGSTORE_OIDC_ISSUER: 'http://127.0.0.1:9/dead' }), 1, /GitHub Actions/, 'ambient before the login');
  },
  'sign: --no-default-files with --bundle': () => {
    fails(cli(['sign', '--no-default-files', '--bundle', join(workdir(), 'b.json'), A_TXT]), 2, /--no-default-files may not be combined with --bundle/, 'usage error');
  },
  'sign: explicit outputs with several inputs': () => {
    const w = workdir({ 'b.txt': A_TXT });
    fails(cli(['sign', '--signature', join(w, 's'), '--certificate', join(w, 'c'), join(w, 'a.txt'), join(w, 'b.txt')]), 2, /single input/, 'detached outputs');
  },
  'sign: --output-directory with explicit outputs': () => {
    const w = workdir();
    fails(cli(['sign', '--output-directory', join(w, 'o'), '--bundle', join(w, 'x'), join(w, 'a.txt')]), 2, /cannot be combined/, '--bundle');
    fails(cli(['sign', '--output-directory', join(w, 'o'), '--signature', join(w, 's'), '--certificate', join(w, 'c'), join(w, 'a.txt')]), 2, /cannot be combined/, '--signature');
  },
  'sign: --signature without --certificate': () => {
    fails(cli(['sign', '--signature', join(workdir(), 's'), A_TXT]), 2, /--signature and --certificate must be used together/, 'usage error');
  },
  'sign: output directory is a file': () => {
    fails(cli(['sign', '--output-directory', A_TXT, join(workdir(), 'a.txt')]), 2, /Output directory exists and is not a directory/, 'a file in the way');
  },
  'sign: output directory created': async () => {
    const w = workdir();
    const early = join(w, 'early', 'deeper');
    fails(cli(['--trust-config', PROD_CONFIG, 'sign', '--identity-token', 'not-a-jwt', '--output-directory', early, join(w, 'a.txt')]), 1, /not a JWT/, 'a refused token');
    assert.ok(existsSync(early), 'created (with parents) before any request');
    ok(await signing(['sign'], ['--output-directory', join(w, 'new', 'deeper'), join(w, 'a.txt')]), 'sign');
    assert.ok(existsSync(join(w, 'new', 'deeper', 'a.txt.sigstore.json')));
  },
  'sign: existing outputs': () => {
    const w = workdir({ 'a.sig': A_TXT, 'a.crt': A_TXT });
    const r = cli(['--trust-config', PROD_CONFIG, 'sign', '--identity-token', token(), '--signature', join(w, 'a.sig'), '--certificate', join(w, 'a.crt'), join(w, 'a.txt')]);
    fails(r, 2, new RegExp(`^sigstore: error: Refusing to overwrite outputs without --overwrite: ${join(w, 'a.sig')}, ${join(w, 'a.crt')}$`, 'm'), "the peer's message, every existing output");
    assert.equal(existsSync(join(w, 'a.txt.sigstore.json')), false, 'nothing signed');
  },
  'sign: log index line': async () => {
    const r = await signing(['sign'], [join(workdir(), 'a.txt')]);
    ok(r, 'sign');
    assert.match(r.stdout, /^Transparency log entry created at index: \d+$/m);
  },
  'sign: written-to lines': async () => {
    const w = workdir();
    const a = join(w, 'a.txt');
    const [sig, crt] = [join(w, 'a.sig'), join(w, 'a.crt')];
    const r = await signing(['sign'], ['--signature', sig, '--certificate', crt, a]);
    ok(r, 'sign');
    for (const line of [`Signature written to ${sig}`, `Certificate written to ${crt}`, `Sigstore bundle written to ${a}.sigstore.json`]) assert.ok(lines(r.stdout).includes(line), line);
  },
  'sign: signature on stdout': async () => {
    const w = workdir();
    const a = join(w, 'a.txt');
    const r = await signing(['sign'], [a]);
    ok(r, 'sign');
    assert.ok(lines(r.stdout).includes(sigOf(`${a}.sigstore.json`)), 'the signature, as the peer prints it');
    const s = await signing(['sign'], ['--overwrite', '--signature', join(w, 'a.sig'), '--certificate', join(w, 'a.crt'), a]);
    assert.ok(!lines(s.stdout).includes(sigOf(`${a}.sigstore.json`)), 'not when --signature writes it');
  },
  'sign: certificate on stdout': async () => {
    const w = workdir();
    const r = await signing(['sign'], [join(w, 'a.txt')]);
    ok(r, 'sign');
    assert.doesNotMatch(r.stdout, /BEGIN CERTIFICATE/, 'differs: only with -v');
    const v = await signing(['sign'], ['-v', '--overwrite', join(w, 'a.txt')]);
    ok(v, '-v');
    assert.match(v.stdout, /^Using ephemeral certificate:\n-----BEGIN CERTIFICATE-----$/m);
  },
  'sign: --no-default-files with --output-directory': async () => {
    const w = workdir();
    const r = await signing(['sign'], ['--no-default-files', '--output-directory', join(w, 'o'), join(w, 'a.txt')]);
    ok(r, 'accepted, as the peer');
    assert.deepEqual(readdirSync(join(w, 'o')), [], 'created, and nothing written there');
    assert.match(r.stdout, /^[A-Za-z0-9+/]{40,}=*$/m, 'the signature on stdout');
  },
  'sign: one identity for all inputs': async () => {
    const w = workdir({ 'b.txt': A_TXT });
    mkdirSync(join(w, 'o'));
    ok(await signing(['sign'], ['--output-directory', join(w, 'o'), join(w, 'a.txt'), join(w, 'b.txt')]), 'two inputs');
    assert.equal(certOf(join(w, 'o', 'a.txt.sigstore.json')), certOf(join(w, 'o', 'b.txt.sigstore.json')), 'one certificate');
  },
});
